import { z } from 'zod';
import type { PlatformRegistry } from '@ach/platform-registry';

/** `:platform` in a path: one of the registry's slugs; an unknown one is a 400 naming `params.platform`. */
export const platformParamsFor = (platforms: PlatformRegistry) => z.object({ platform: platforms.slugSchema });

/**
 * A platform in a response: its slug. Kept a plain string (not the registry's enum) so response
 * schemas are the same for every registry; what exists is `GET /accounts`' and the routes' business.
 */
export const platformSlugField = () => z.string().describe('Platform slug (`psn`, `xbox`, `steam`, or another platform the server registers)');
