/**
 * The tables of the app's WatermelonDB schema that the server syncs, by the names the app uses.
 * `user_profile` is the caller's `public.users` row; the others are the server tables of the same
 * name, restricted to what the caller may see.
 */
export const PULLED_TABLES = [
  'user_profile',
  'platform_accounts',
  'games',
  'achievements',
  'user_progress',
  'user_achievements',
  'sync_logs',
  'trophy_help_requests',
  'flex_room_data',
] as const;
export type PulledTable = (typeof PULLED_TABLES)[number];

/** What a push may change: the app's own two tables, and three fields of the caller's profile (updates only). */
export const WRITABLE_TABLES = ['trophy_help_requests', 'flex_room_data', 'user_profile'] as const;
export type WritableTable = (typeof WRITABLE_TABLES)[number];

export const isWritableTable = (name: string): name is WritableTable => (WRITABLE_TABLES as readonly string[]).includes(name);

/** The profile fields a push may write; the rest of `user_profile` belongs to the auth provider. */
export const WRITABLE_PROFILE_FIELDS = ['username', 'display_name', 'avatar_url'] as const;

/** Runs per platform a first pull sends (later pulls send every run that changed). */
export const RECENT_RUNS_PER_PLATFORM = 20;
