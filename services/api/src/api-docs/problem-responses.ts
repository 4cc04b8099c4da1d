import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '../problem.ts';

/**
 * Documented error answers of a route, for its `schema.response`. Errors leave as
 * application/problem+json already serialized (plugins/problem-errors.ts), so these schemas only
 * describe them: the OpenAPI document, and the clients generated from it, get the media type and
 * the codes each status carries.
 */
export interface ProblemResponse {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } };
}

/** Per status, one line per `code` it can carry (markdown: "`code`: when"). */
export type ProblemCodes = Readonly<Partial<Record<number, readonly string[]>>>;

type StatusesOf<Groups extends readonly ProblemCodes[]> = Groups[number] extends infer Group ? (Group extends unknown ? keyof Group & number : never) : never;

/**
 * Merges groups of documented codes (the ones every user route shares, a JSON body's, the route's
 * own) into problem responses: a status named by several groups lists all their codes.
 */
export function problemResponses<const Groups extends readonly ProblemCodes[]>(...groups: Groups): Record<StatusesOf<Groups>, ProblemResponse> {
  const codes = new Map<number, string[]>();
  for (const group of groups) {
    for (const [status, lines] of Object.entries(group)) codes.set(Number(status), [...(codes.get(Number(status)) ?? []), ...(lines ?? [])]);
  }
  const responses: Record<number, ProblemResponse> = {};
  for (const [status, lines] of [...codes].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: lines.map((line) => `- ${line}`).join('\n'),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    };
  }
  return responses as Record<StatusesOf<Groups>, ProblemResponse>;
}

/** Any route: the text guard (NUL, lone surrogates) and the zod validation of its input. */
export const INVALID_REQUEST = {
  400: ['`validation_failed`: a parameter, header or body field is invalid; `invalidParams` names each'],
} as const satisfies ProblemCodes;

/** Every route behind a user's Supabase access token. */
export const USER_ROUTE_PROBLEMS = {
  ...INVALID_REQUEST,
  401: ['`missing_token`, `invalid_token`, `token_expired`: no valid access token (`WWW-Authenticate: Bearer`)'],
  403: ['`forbidden_role`: the token is not a signed-in user\'s (role `authenticated`), or it is an admin\'s'],
  503: ['`auth_unavailable`: the token\'s signing keys (JWKS) cannot be fetched right now; retry after `Retry-After`'],
} as const satisfies ProblemCodes;

/** Every admin route: an admin's token, or the dashboard's session cookie (POSTs then need its CSRF token). */
export const ADMIN_ROUTE_PROBLEMS = {
  ...INVALID_REQUEST,
  401: ['`missing_token`, `invalid_token`, `token_expired`: no valid admin token and no dashboard session (`WWW-Authenticate: Bearer`)'],
  403: [
    '`forbidden_role`: the token is not an admin\'s (role `service_role` or `app_metadata.role` `admin`)',
    '`csrf_failed`: a dashboard session\'s POST without its `x-csrf-token`, or from another site',
  ],
  503: ['`auth_unavailable`: the token\'s signing keys (JWKS) cannot be fetched right now; retry after `Retry-After`'],
} as const satisfies ProblemCodes;

/** Routes that read a JSON body. */
export const JSON_BODY_PROBLEMS = {
  400: ['`invalid_json`: the body is not valid JSON'],
  413: ['`payload_too_large`: the body is over 64 KiB'],
  415: ['`unsupported_media_type`: the body is not `application/json`'],
} as const satisfies ProblemCodes;

/** Routes with a per-user request budget (@fastify/rate-limit). */
export const RATE_LIMITED = {
  429: ['`rate_limited`: over this route\'s per-user budget; retry after `Retry-After`'],
} as const satisfies ProblemCodes;

/** A browser page (text/html) by default, or problem+json for a client asking only for JSON. */
export interface PageProblemResponse {
  description: string;
  content: ProblemResponse['content'] & { 'text/html': { schema: z.ZodString } };
}

/** The same problem responses, answered by a route a browser lands on (see routes/accounts/browser-result-page.ts). */
export function asPageResponses<Status extends number>(responses: Record<Status, ProblemResponse>): Record<Status, PageProblemResponse> {
  const page = z.string().describe('A minimal HTML page with the detail and the code');
  return Object.fromEntries(
    Object.entries<ProblemResponse>(responses).map(([status, response]) => [status, { ...response, content: { 'text/html': { schema: page }, ...response.content } }]),
  ) as Record<Status, PageProblemResponse>;
}
