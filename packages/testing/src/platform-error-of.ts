import { isPlatformError, type PlatformError } from '@ach/platform-clients';

/** Awaits a call that must fail with a PlatformError and returns it, so a test can assert its kind and code. */
export async function platformErrorOf(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (error) {
    if (isPlatformError(error)) return error;
    throw error;
  }
  throw new Error('expected a PlatformError, but the call succeeded');
}
