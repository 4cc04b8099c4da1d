import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinPlatformRegistry, builtinPlatforms, createPlatformRegistry, psn, steam, type PlatformModule } from '../src/index.ts';

const extra = (overrides: Partial<PlatformModule> = {}): PlatformModule => ({
  id: 4,
  slug: 'retro',
  displayName: 'Retro Arcade',
  queueName: 'sync-retro',
  env: z.object({ RETRO_BASE_URL: z.string().default('http://retro.invalid') }),
  createClient: () => ({}),
  ...overrides,
});

describe('createPlatformRegistry', () => {
  it('derives slugs, ids, bounds, lookups, the slug enum and the env of its modules', () => {
    const registry = createPlatformRegistry([...builtinPlatforms, extra()]);
    expect(registry.slugs).toEqual(['psn', 'xbox', 'steam', 'retro']);
    expect(registry.ids).toEqual([1, 2, 3, 4]);
    expect(registry.idBounds).toEqual({ min: 1, max: 4 });
    expect(registry.bySlug('steam')).toBe(steam);
    expect(registry.byId(1)).toBe(psn);
    expect(registry.has('retro')).toBe(true);
    expect(registry.slugSchema.safeParse('retro').success).toBe(true);
    expect(registry.slugSchema.safeParse('nes').success).toBe(false);
    expect(registry.idSchema.safeParse(4).success).toBe(true);
    expect(registry.idSchema.safeParse(5).success).toBe(false);
    expect(Object.keys(registry.env.shape)).toEqual(expect.arrayContaining(['STEAM_API_BASE_URL', 'PSN_API_BASE_URL', 'XBOX_CLIENT_ID', 'RETRO_BASE_URL']));
  });

  it('the built-in registry is PSN, Xbox and Steam with the ids of migration 0001 and the contract queue names', () => {
    const registry = builtinPlatformRegistry();
    expect(registry.modules.map((m) => [m.id, m.slug, m.queueName])).toEqual([
      [1, 'psn', 'sync-psn'],
      [2, 'xbox', 'sync-xbox'],
      [3, 'steam', 'sync-steam'],
    ]);
  });

  it('an unknown slug or id is an error, not undefined', () => {
    const registry = builtinPlatformRegistry();
    expect(() => registry.bySlug('nes')).toThrow(/no platform module for slug nes/);
    expect(() => registry.byId(9)).toThrow(/no platform module for id 9/);
  });

  it('refuses a registry that would make two platforms indistinguishable or break the contract', () => {
    expect(() => createPlatformRegistry([])).toThrow(/at least one/);
    expect(() => createPlatformRegistry([...builtinPlatforms, extra({ slug: 'steam', queueName: 'sync-steam' })])).toThrow(/slug steam is registered twice/);
    expect(() => createPlatformRegistry([...builtinPlatforms, extra({ id: 3 })])).toThrow(/id 3 is registered twice/);
    expect(() => createPlatformRegistry([extra({ slug: 'Retro:1' })])).toThrow(/platform slug/);
    expect(() => createPlatformRegistry([extra({ id: 0 })])).toThrow(/not a smallint/);
    expect(() => createPlatformRegistry([extra({ queueName: 'retro' })])).toThrow(/queue must be sync-retro/);
    expect(() => createPlatformRegistry([...builtinPlatforms, extra({ env: z.object({ STEAM_API_KEY: z.string() }) })])).toThrow(/STEAM_API_KEY is declared by both steam and retro/);
  });
});
