import type { PlatformIdentity } from '../../src/index.ts';

/**
 * The built-in platforms' identities, as rows of migration 0001 define them. The engine cannot import
 * the platform registry (the registry depends on it), so its tests name the platforms they use here.
 */
export const TEST_PLATFORMS = {
  psn: { id: 1, slug: 'psn', displayName: 'PlayStation Network' },
  xbox: { id: 2, slug: 'xbox', displayName: 'Xbox Live' },
  steam: { id: 3, slug: 'steam', displayName: 'Steam' },
} as const satisfies Record<string, PlatformIdentity>;

export type TestPlatform = keyof typeof TEST_PLATFORMS;
