import { z } from 'zod';

/** A PSN account id: a numeric string of up to 19 digits (beyond 2^53 — never a JS number). */
export const psnAccountIdSchema = z.string().regex(/^\d{1,20}$/, 'a numeric account id string');

/**
 * `GET /api/userProfile/v1/internal/users/{accountId}/profiles` (fixture psn/profile.json). `me` is not
 * accepted here (400), hence the account id comes from the trophy summary first.
 */
export const psnProfileSchema = z.object({
  onlineId: z.string().min(1),
  aboutMe: z.string().optional(),
  avatars: z.array(z.object({ size: z.string(), url: z.string() })).default([]),
  languages: z.array(z.string()).optional(),
  isPlus: z.boolean().optional(),
  isOfficiallyVerified: z.boolean().optional(),
  isMe: z.boolean().optional(),
});
export type PsnProfile = z.infer<typeof psnProfileSchema>;

/**
 * `GET us-prof.np.community.playstation.net/userProfile/v1/users/{onlineId}/profile2` (fixture
 * psn/legacy-profile.json). Not used for linking (that host is not configurable); kept for onlineId → accountId.
 */
export const psnLegacyProfileSchema = z.object({
  profile: z.object({ onlineId: z.string(), accountId: psnAccountIdSchema }).loose(),
});

/**
 * PSN's API error envelope: `{"error":{"referenceId","code","message"}}`; the older us-prof service omits
 * `referenceId`. Codes are per service (2240525 not found, 2240526 not permitted, 2281473 bad request).
 */
export const psnApiErrorSchema = z.object({
  error: z.object({
    referenceId: z.string().optional(),
    code: z.number().int(),
    message: z.string(),
  }),
});
export type PsnApiError = z.infer<typeof psnApiErrorSchema>;

/** PSN code for "Not permitted by access control": a private trophy list or a non-friend. */
export const PSN_NOT_PERMITTED_CODE = 2240526;
