/**
 * A platform's slug (`platforms.code`): route segment, job payload, metrics label. Which platforms
 * exist, and their ids, is the platform registry's business (@ach/platform-registry), not the database types'.
 */
export type Platform = string;
