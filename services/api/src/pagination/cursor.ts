import { z } from 'zod';
import type { PlatformRegistry } from '@ach/platform-registry';
import { ProblemError } from '../problem.ts';
import { storableString } from '../validation/storable-text.ts';

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * A cursor's content goes into SQL as-is, so everything in it is checked here, not by Postgres:
 * a forged cursor is a 400, never a cast error (500). Name the parameter the way validation 400s do.
 */
export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string, parameter = 'querystring.cursor'): z.output<S> {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw new ProblemError(400, 'invalid_cursor', `${parameter}: not a cursor this API issued`, { extra: { invalidParams: [{ name: parameter, reason: 'invalid cursor' }] } });
}

// `timestamptz::text` as Postgres prints it with DateStyle ISO: `2024-05-01 12:34:56.123456+02`,
// the offset in the session's zone (historic zones print seconds: `+00:19:32`), ` BC` before year 1.
const PG_TIMESTAMPTZ = /^(\d{4,6})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-](\d{2})(?::(\d{2}))?(?::(\d{2}))?( BC)?$/;
// One year inside Postgres' range (4713 BC – 294276 AD) at each end, so no offset can push it out.
const MAX_YEAR_AD = 294_275;
const MAX_YEAR_BC = 4_712;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** True when Postgres will accept `text::timestamptz` — exactly the shapes it prints, with real dates. */
export function isPostgresTimestamptzText(text: string): boolean {
  const match = PG_TIMESTAMPTZ.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes, offsetSeconds] = match.slice(1, 10).map((group) => (group === undefined ? 0 : Number(group)));
  const bc = match[10] !== undefined;
  // Postgres has no year 0: 1 BC is followed by 1 AD, and BC leap years are 1, 5, 9 … BC.
  if (year! < 1 || year! > (bc ? MAX_YEAR_BC : MAX_YEAR_AD)) return false;
  if (month! < 1 || month! > 12) return false;
  const leap = isLeapYear(bc ? 1 - year! : year!);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month! - 1]!;
  if (day! < 1 || day! > days) return false;
  if (hour! > 23 || minute! > 59 || second! > 59) return false;
  return offsetHours! <= 15 && offsetMinutes! <= 59 && offsetSeconds! <= 59;
}

/** The pieces a cursor's sort key is made of, each checked as strictly as the column it is compared with. */
export const cursorField = {
  /** A `timestamptz` column printed as text (microseconds survive, a JS Date would drop them). */
  timestamp: () => z.string().max(64).refine(isPostgresTimestamptzText, 'not a timestamp'),
  /** A `platforms.id`: only the ids of the platforms the app's registry has. */
  platformId: (platforms: PlatformRegistry) => platforms.idSchema,
  /** A natural key as text: no NUL, no lone surrogate. */
  text: (max: number) => storableString().max(max),
  uuid: () => z.uuid(),
};
