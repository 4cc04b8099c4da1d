/** Linking needs the platform to answer while the user waits: keep each call short. */
export const LINK_TIMEOUT_MS = 8_000;
