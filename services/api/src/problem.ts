import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

/**
 * RFC 9457 problem details plus the stable, app-facing `code`. Its `id` makes it one named schema
 * (`#/components/schemas/Problem`) in the OpenAPI document, one type in generated clients.
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    invalidParams: z
      .array(z.object({ name: z.string(), reason: z.string() }))
      .optional()
      .describe('`validation_failed`, `invalid_cursor`: each invalid parameter (`body.mode`, `querystring.cursor`, …) and why'),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; `code` is stable, `detail` is safe to show' });
export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A failure the client is meant to see: status, stable code, a message safe to show. */
export class ProblemError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;

  constructor(status: number, code: string, detail: string, options: { headers?: Record<string, string>; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'ProblemError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

export function problemBody(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return {
    type: `https://achievement-sync.dev/problems/${code.replace(/_/g, '-')}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
}

export const notFound = (what: string) => new ProblemError(404, 'not_found', `${what} not found`);
