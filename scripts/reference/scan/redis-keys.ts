import { productSourceFiles, readRepoFile } from './repo-files.ts';

export interface RedisKeyPattern {
  /** e.g. `<prefix>:sync-events:<userId>` */
  pattern: string;
  /** The first segment after the prefix: the key's family. */
  family: string;
  files: string[];
}

/**
 * Redis keys the code builds under the deployment's prefix: template literals that start with
 * `${…prefix…}:`. Interpolations show as `<expression>`.
 */
export function redisKeyPatterns(): RedisKeyPattern[] {
  const found = new Map<string, RedisKeyPattern>();
  for (const file of productSourceFiles().filter((f) => f.includes('/src/'))) {
    for (const match of readRepoFile(file).matchAll(/`\$\{[^}`]*[pP]refix[^}`]*\}:([^`]*)`/g)) {
      // A nested template (`${sha(`…`)}`) ends the match early: what is left of it is a hash.
      const rest = match[1]!.replace(/\$\{[^}]*$/, '<hash>').replace(/\$\{([^}]*)\}/g, (_all, expression: string) => `<${expression.replace(/^options\.|^deps\.|^env\./, '').trim()}>`);
      // `${prefix}:${key}` inside a helper extends a key built elsewhere (a limiter's own prefix): that one is listed.
      if (rest.startsWith('<')) continue;
      const pattern = `<prefix>:${rest}`;
      const family = rest.split(':')[0] ?? rest;
      const entry = found.get(pattern) ?? { pattern, family, files: [] };
      if (!entry.files.includes(file)) entry.files.push(file);
      found.set(pattern, entry);
    }
  }
  return [...found.values()].sort((a, b) => a.pattern.localeCompare(b.pattern));
}
