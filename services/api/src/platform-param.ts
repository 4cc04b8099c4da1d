import { z } from 'zod';
import { PLATFORMS } from '@ach/db';

/** `:platform` in a path: an unknown one is a 400 naming `params.platform`. */
export const platformParams = z.object({ platform: z.enum(PLATFORMS) });

/** Problem responses in the OpenAPI document (the error handler writes them, not the route). */
export { problemSchema } from './problem.ts';
