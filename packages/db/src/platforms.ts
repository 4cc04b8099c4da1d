import type { PlatformId } from './database.ts';

export const PLATFORMS = ['psn', 'xbox', 'steam'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const PLATFORM_IDS: Record<Platform, PlatformId> = { psn: 1, xbox: 2, steam: 3 };
export const PLATFORM_BY_ID: Record<PlatformId, Platform> = { 1: 'psn', 2: 'xbox', 3: 'steam' };
