import { z } from 'zod';
import { PLATFORMS } from '@ach/db';

/** `:platform` in a path: an unknown one is a 400 naming `params.platform`. */
export const platformParams = z.object({ platform: z.enum(PLATFORMS) });
