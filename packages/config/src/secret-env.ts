import { z } from 'zod';

/**
 * An optional shared secret with a floor on its length: a guessable value is worse than none,
 * because it looks configured. Unset stays unset (the feature it guards is simply off).
 */
export const optionalSecretOfAtLeast = (minLength: number) =>
  z
    .string()
    .min(minLength, { message: `must be at least ${minLength} characters (generate one: openssl rand -hex 32)` })
    .optional();

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** 127.0.0.0/8, ::1 and localhost never leave the machine, so plain http cannot be intercepted there. */
function isLoopback(hostname: string): boolean {
  return loopbackHosts.has(hostname) || hostname.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * A URL the process fetches keys or other trust material from: https, or http only to a loopback
 * host (a local stand-in in tests and the demo). Anything else could be answered by whoever sits
 * on the path.
 */
export const trustedFetchUrl = () =>
  z.url({ protocol: /^https?$/ }).refine(
    (value) => {
      const url = new URL(value);
      return url.protocol === 'https:' || isLoopback(url.hostname);
    },
    { message: 'must be https (http only for localhost / 127.0.0.1 / [::1])' },
  );
