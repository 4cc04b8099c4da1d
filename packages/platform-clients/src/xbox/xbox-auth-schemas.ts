import { z } from 'zod';

/** Xbox timestamps carry 7 fractional digits (`2010-10-10T03:06:35.5251155Z`); Date.parse keeps milliseconds. */
export const xboxInstantSchema = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO-8601 instant');

/** A xuid: a decimal string (16 digits today), kept as text like every natural key. */
export const xuidSchema = z.string().regex(/^\d{1,20}$/, 'a numeric xuid string');

/**
 * `POST login.live.com/oauth20_token.srf` with `grant_type=refresh_token` (fixture xbox/msa-oauth20-token.json).
 * Microsoft rotates the refresh token: the answer's one replaces the stored one.
 */
export const msaTokenResponseSchema = z.object({
  token_type: z.string(),
  expires_in: z.number().int().positive(),
  scope: z.string(),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  user_id: z.string().optional(),
});
export type MsaTokenResponse = z.infer<typeof msaTokenResponseSchema>;

/** login.live.com error, e.g. 400 `{"error":"invalid_grant","error_description":"The provided value … is not valid."}`. */
export const msaErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

const xboxTokenFields = {
  IssueInstant: xboxInstantSchema,
  NotAfter: xboxInstantSchema,
  Token: z.string().min(1),
};

/** `POST user.auth.xboxlive.com/user/authenticate` (fixture xbox/user-authenticate.json). */
export const xboxUserTokenSchema = z.object({
  ...xboxTokenFields,
  DisplayClaims: z.object({ xui: z.array(z.object({ uhs: z.string().min(1) }).loose()).min(1) }),
});
export type XboxUserTokenResponse = z.infer<typeof xboxUserTokenSchema>;

/** `POST xsts.auth.xboxlive.com/xsts/authorize` (fixture xbox/xsts-authorize.json): `xid` is the xuid, `gtg` the gamertag. */
export const xstsTokenSchema = z.object({
  ...xboxTokenFields,
  DisplayClaims: z.object({
    xui: z
      .array(
        z
          .object({
            uhs: z.string().min(1),
            xid: xuidSchema,
            gtg: z.string().min(1),
            agg: z.string().optional(),
            usr: z.string().optional(),
            utr: z.string().optional(),
            prv: z.string().optional(),
          })
          .loose(),
      )
      .min(1),
  }),
});
export type XstsTokenResponse = z.infer<typeof xstsTokenSchema>;

/**
 * XSTS refusal (401): `{"Identity":"0","XErr":2148916233,"Message":"","Redirect":"https://start.ui.xboxlive.com/CreateAccount"}`.
 * XErr is a 32-bit unsigned code (fits a JS number); some proxies stringify it.
 */
export const xstsErrorSchema = z.object({
  Identity: z.string().optional(),
  XErr: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
  Message: z.string().optional(),
  Redirect: z.string().optional(),
});

/** `GET profile.xboxlive.com/users/xuid({xuid})/profile/settings?settings=…` (fixture xbox/profile-settings.json). */
export const xboxProfileSettingsSchema = z.object({
  profileUsers: z
    .array(
      z.object({
        id: xuidSchema,
        hostId: z.string().optional(),
        settings: z.array(z.object({ id: z.string(), value: z.string() })),
        isSponsoredUser: z.boolean().optional(),
      }),
    )
    .min(1),
});
export type XboxProfileSettings = z.infer<typeof xboxProfileSettingsSchema>;

/**
 * The shape we persist (sealed) for a linked Xbox account: the rotated Microsoft refresh token is the
 * long-lived secret; the XSTS token + user hash are a ~16 h cache of the chain's last hop.
 */
export const xboxCredentialsSchema = z.object({
  msaRefreshToken: z.string().min(1),
  xstsToken: z.string().min(1),
  userHash: z.string().min(1),
  xstsExpiresAt: z.iso.datetime(),
});
export type XboxCredentials = z.infer<typeof xboxCredentialsSchema>;
