/** `Retry-After` is either delta-seconds or an HTTP date; anything else falls back. */
export function parseRetryAfter(value: string | null | undefined, fallbackMs: number, now = Date.now()): number {
  if (!value) return fallbackMs;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return fallbackMs;
}

/**
 * PSN's `X-RateLimit-Next-Available`: the unix time (seconds) at which the window reopens. Undefined when
 * absent or unusable. A value in milliseconds (13+ digits) is accepted too, so a misread unit never turns
 * into a 50-year wait.
 */
export function parseRateLimitNextAvailable(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  const atMs = n >= 1e12 ? n : n * 1000;
  return Math.max(0, Math.round(atMs - now));
}

/**
 * How long a 429 asks us to wait, from whichever of `Retry-After` and `X-RateLimit-Next-Available` the
 * platform sent; when both are there, the later one (waiting too little only earns another 429).
 */
export function retryAfterFromHeaders(headers: Headers, fallbackMs: number, now = Date.now()): number {
  const candidates: number[] = [];
  if (headers.get('retry-after')) {
    const ms = parseRetryAfter(headers.get('retry-after'), Number.NaN, now);
    if (!Number.isNaN(ms)) candidates.push(ms);
  }
  const nextAvailable = parseRateLimitNextAvailable(headers.get('x-ratelimit-next-available'), now);
  if (nextAvailable !== undefined) candidates.push(nextAvailable);
  return candidates.length > 0 ? Math.max(...candidates) : fallbackMs;
}
