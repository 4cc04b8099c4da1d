/**
 * Ends the wait for `work` after `timeoutMs` (the work itself goes on). BullMQ waits for a Redis
 * reconnect rather than failing, and a half-open socket never answers: a request, a readiness
 * probe or a metrics scrape must not hang on either.
 */
export async function withinDeadline<T>(work: Promise<T>, timeoutMs: number, what = 'the operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
