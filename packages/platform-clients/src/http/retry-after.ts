/** `Retry-After` is either delta-seconds or an HTTP date; anything else falls back. */
export function parseRetryAfter(value: string | null | undefined, fallbackMs: number, now = Date.now()): number {
  if (!value) return fallbackMs;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return fallbackMs;
}
