import { productSourceFiles, readRepoFile } from './repo-files.ts';

/** Passed through to a child process, never a setting of ours. */
const NOT_SETTINGS = new Set(['PATH', 'HOME', 'NODE_ENV']);

/**
 * Variables read straight from `process.env` (outside a zod schema), by name → the files that read
 * them; and the ones `docker-compose.yml` interpolates (`${NAME…}`), under `docker-compose.yml`.
 */
export function rawEnvReads(): Map<string, string[]> {
  const reads = new Map<string, Set<string>>();
  const note = (name: string, file: string) => {
    if (NOT_SETTINGS.has(name)) return;
    const files = reads.get(name) ?? new Set<string>();
    files.add(file);
    reads.set(name, files);
  };
  for (const file of productSourceFiles()) {
    const text = readRepoFile(file);
    for (const match of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g)) note(match[1] ?? match[2]!, file);
  }
  for (const match of readRepoFile('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) note(match[1]!, 'docker-compose.yml');
  return new Map([...reads].sort(([a], [b]) => a.localeCompare(b)).map(([name, files]) => [name, [...files].sort()]));
}
