export { APP_ERROR_CODES, isPlatformError, PlatformError, type PlatformErrorKind } from './platform-error.ts';
export {
  createPlatformHttp,
  type PlatformCall,
  type PlatformHttp,
  type PlatformHttpOptions,
  type PlatformRequest,
  type PlatformResponse,
  type StatusClassifier,
} from './http/platform-http.ts';
export { parseRateLimitNextAvailable, parseRetryAfter, retryAfterFromHeaders } from './http/retry-after.ts';

// PSN
export {
  createPsnAuthClient,
  PSN_APP_OAUTH,
  type PsnAuthClient,
  type PsnAuthClientOptions,
  type PsnMe,
  type PsnOAuthClient,
  type PsnTokens,
} from './psn/psn-auth-client.ts';
export {
  psnAuthorizeRedirectSchema,
  psnCredentialsSchema,
  psnOAuthErrorSchema,
  psnTokenResponseSchema,
  type PsnCredentials,
  type PsnTokenResponse,
} from './psn/psn-auth-schemas.ts';
export {
  PSN_NOT_PERMITTED_CODE,
  psnAccountIdSchema,
  psnApiErrorSchema,
  psnLegacyProfileSchema,
  psnProfileSchema,
  type PsnApiError,
  type PsnProfile,
} from './psn/psn-profile-schemas.ts';
export * from './psn/psn-trophy-schemas.ts';
export {
  createPsnTrophyClient,
  PSN_TROPHY_ENDPOINTS,
  PSN_TROPHY_TITLES_MAX_LIMIT,
  type PsnTitleRef,
  type PsnTrophyClient,
  type PsnTrophyClientOptions,
  type PsnTrophyGroupId,
  type PsnTrophyTitleList,
} from './psn/psn-trophy-client.ts';
export { classifyPsnApiError, parsePsnApiError } from './psn/psn-api-errors.ts';
export { linkPsnAccount, type PsnLinkedAccount } from './psn/link-psn-account.ts';

// Xbox
export {
  createXboxAuthClient,
  XBOX_MBI_SSL_SCOPE,
  type MsaTokens,
  type XboxAuthClient,
  type XboxAuthClientOptions,
  type XboxProfile,
  type XboxSession,
  type XboxUserToken,
  type XstsToken,
} from './xbox/xbox-auth-client.ts';
export {
  msaErrorSchema,
  msaTokenResponseSchema,
  xboxCredentialsSchema,
  xboxInstantSchema,
  xboxProfileSettingsSchema,
  xboxUserTokenSchema,
  xstsErrorSchema,
  xstsTokenSchema,
  xuidSchema,
  type MsaTokenResponse,
  type XboxCredentials,
  type XboxProfileSettings,
  type XboxUserTokenResponse,
  type XstsTokenResponse,
} from './xbox/xbox-auth-schemas.ts';
export { XSTS_ERROR_CODES } from './xbox/xsts-error-codes.ts';
export * from './xbox/xbox-achievement-schemas.ts';
export {
  createXboxAchievementsClient,
  XBOX_DATA_ENDPOINTS,
  XBOX_TITLE_HISTORY_DECORATIONS,
  type Xbox360AchievementList,
  type Xbox360TitleAchievements,
  type XboxAchievementsClient,
  type XboxAchievementsClientOptions,
  type XboxServiceAuth,
  type XboxTitleAchievements,
} from './xbox/xbox-achievements-client.ts';
export { classifyXboxServiceError } from './xbox/xbox-service-errors.ts';
export { linkXboxAccount, type XboxLinkedAccount } from './xbox/link-xbox-account.ts';

// Steam
export {
  createSteamClient,
  STEAM_ENDPOINTS,
  steamAppIconUrl,
  type SteamAchievementDefinition,
  type SteamAchievementPercentage,
  type SteamClient,
  type SteamClientOptions,
  type SteamGameSchema,
  type SteamOwnedGame,
  type SteamPlayerAchievement,
  type SteamPlayerAchievements,
  type SteamPlayerSummary,
  type SteamRecentlyPlayedGames,
  type SteamUserStatsForGame,
} from './steam/steam-client.ts';
export { classifySteamError } from './steam/steam-errors.ts';
export { isSteamId64, isSteamVanityName } from './steam/steam-id.ts';
export { INVALID_STEAM_ID_CODE, resolveSteamAccount, type ResolvedSteamAccount, type SteamAccountInput } from './steam/resolve-steam-account.ts';
export * as steamSchemas from './steam/steam-schemas.ts';
export {
  createSteamOpenIdClient,
  OPENID2_NS,
  parseKeyValueForm,
  STEAM_OPENID_ENDPOINTS,
  SteamOpenIdRejectedError,
  type SteamOpenIdAssertion,
  type SteamOpenIdClient,
  type SteamOpenIdClientOptions,
  type SteamOpenIdRejectReason,
} from './steam/steam-openid.ts';
