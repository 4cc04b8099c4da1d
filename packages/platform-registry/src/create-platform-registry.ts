import { z } from 'zod';
import type { Platform, PlatformId } from '@ach/db';
import { platformSlugSchema, syncQueueName } from '@ach/queue';
import type { PlatformModule } from './platform-module.ts';

export interface PlatformRegistry {
  readonly modules: readonly PlatformModule[];
  /** In registration order. */
  readonly slugs: readonly [Platform, ...Platform[]];
  readonly ids: readonly [PlatformId, ...PlatformId[]];
  /** Throws for a slug no module has: validate input with `slugSchema` first. */
  bySlug(slug: Platform): PlatformModule;
  /** Throws for an id no module has. */
  byId(id: PlatformId): PlatformModule;
  has(slug: string): boolean;
  /** The slugs as a zod enum: `:platform` params, query filters, response fields. */
  readonly slugSchema: z.ZodEnum<Record<string, Platform>>;
  /** A `platforms.id` of a registered platform (cursor fields). */
  readonly idSchema: z.ZodType<PlatformId>;
  readonly idBounds: { min: PlatformId; max: PlatformId };
  /**
   * Every module's `env` piece in one object (the API's platform variables). A variable two modules
   * both declare would be parsed twice with different rules: refused when the registry is built.
   */
  readonly env: z.ZodObject;
}

export class UnknownPlatformError extends Error {
  constructor(what: string) {
    super(`no platform module for ${what}`);
    this.name = 'UnknownPlatformError';
  }
}

/**
 * The one list of platforms. Everything that differs per platform (routes, queues, env, cursor bounds,
 * metrics labels) is derived from it, so adding a platform is adding a module (docs/adding-a-platform.md).
 */
export function createPlatformRegistry(modules: readonly PlatformModule[]): PlatformRegistry {
  if (modules.length === 0) throw new Error('a platform registry needs at least one module');
  const bySlug = new Map<Platform, PlatformModule>();
  const byId = new Map<PlatformId, PlatformModule>();
  const envOwner = new Map<string, Platform>();
  let envShape: z.ZodRawShape = {};
  for (const module of modules) {
    const slug = platformSlugSchema.safeParse(module.slug);
    if (!slug.success) throw new Error(`platform slug ${JSON.stringify(module.slug)}: ${slug.error.issues[0]?.message}`);
    if (!Number.isInteger(module.id) || module.id < 1 || module.id > 32_767) throw new Error(`platform ${module.slug}: id ${module.id} is not a smallint platforms.id`);
    if (bySlug.has(module.slug)) throw new Error(`platform slug ${module.slug} is registered twice`);
    if (byId.has(module.id)) throw new Error(`platform id ${module.id} is registered twice (${byId.get(module.id)!.slug}, ${module.slug})`);
    if (module.queueName !== syncQueueName(module.slug)) throw new Error(`platform ${module.slug}: queue must be ${syncQueueName(module.slug)} (the contract)`);
    for (const variable of Object.keys(module.env.shape)) {
      const owner = envOwner.get(variable);
      if (owner) throw new Error(`${variable} is declared by both ${owner} and ${module.slug}`);
      envOwner.set(variable, module.slug);
    }
    envShape = { ...envShape, ...module.env.shape };
    bySlug.set(module.slug, module);
    byId.set(module.id, module);
  }
  const slugs = modules.map((m) => m.slug) as [Platform, ...Platform[]];
  const ids = modules.map((m) => m.id) as [PlatformId, ...PlatformId[]];
  return {
    modules,
    slugs,
    ids,
    bySlug(slug) {
      const module = bySlug.get(slug);
      if (!module) throw new UnknownPlatformError(`slug ${slug}`);
      return module;
    },
    byId(id) {
      const module = byId.get(id);
      if (!module) throw new UnknownPlatformError(`id ${id}`);
      return module;
    },
    has: (slug) => bySlug.has(slug),
    slugSchema: z.enum(slugs),
    idSchema: z.literal(ids),
    idBounds: { min: Math.min(...ids), max: Math.max(...ids) },
    env: z.object(envShape),
  };
}
