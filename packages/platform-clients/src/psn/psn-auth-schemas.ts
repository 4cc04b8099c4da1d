import { z } from 'zod';

/**
 * `POST /api/authz/v3/oauth/token` (both grants). Recorded: fixtures psn/auth-token-authorization-code.json and
 * psn/auth-token-refresh.json. `scope` comes back in a different order on refresh, so it is kept as a string.
 */
export const psnTokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
  scope: z.string(),
  id_token: z.string().optional(),
  refresh_token: z.string().min(1),
  refresh_token_expires_in: z.number().int().positive(),
});
export type PsnTokenResponse = z.infer<typeof psnTokenResponseSchema>;

/**
 * Sony's OAuth error body (`/api/authz/v3/oauth/*`, `/api/v1/ssocookie`), e.g. a stale refresh token:
 * `{"error":"invalid_grant","error_description":"Invalid refresh token","error_code":4159,"docs":"…","parameters":[]}`.
 */
export const psnOAuthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  error_code: z.number().int().optional(),
});

/**
 * What the authorize redirect's `Location` query carries. A good NPSSO gives `code` (+ `cid`); a bad or
 * expired one gives `error=login_required&error_code=4165` on a sign-in page URL — still a 302.
 */
export const psnAuthorizeRedirectSchema = z.union([
  z.object({ code: z.string().min(1), cid: z.string().optional() }),
  z.object({ error: z.string().min(1), error_code: z.string().optional(), error_description: z.string().optional() }),
]);

/**
 * The shape we persist (sealed) for a linked PSN account. Instants are ISO strings so the sealed JSON
 * round-trips without a reviver; parse it back with this schema.
 */
export const psnCredentialsSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  accessExpiresAt: z.iso.datetime(),
  refreshExpiresAt: z.iso.datetime(),
});
export type PsnCredentials = z.infer<typeof psnCredentialsSchema>;
