import { z } from 'zod';

/** Steam reads query parameters only; a repeated parameter counts as its first value. */
export const steamQuerySchema = z
  .record(z.string(), z.union([z.string(), z.array(z.string())]))
  .transform((query) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(query)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined) out[name] = first;
    }
    return out;
  });
export type SteamQuery = z.output<typeof steamQuerySchema>;

export const isNumericId = (value: string) => /^\d{1,20}$/.test(value);
export const isTruthyFlag = (value: string | undefined) => value === '1' || value === 'true';
