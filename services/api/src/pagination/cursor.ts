import type { z } from 'zod';
import { ProblemError } from '../problem.ts';

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string): z.output<S> {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw new ProblemError(400, 'invalid_cursor', 'query.cursor: not a cursor this API issued', { extra: { invalidParams: [{ name: 'query.cursor', reason: 'invalid cursor' }] } });
}
