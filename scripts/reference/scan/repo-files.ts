import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.ts')) out.push(relative(REPO_ROOT, full).split(sep).join('/'));
  }
}

/** Repository-relative paths of the `.ts` files under `dirs` (which may not exist), sorted. */
export function tsFilesUnder(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    const full = join(REPO_ROOT, dir);
    try {
      if (statSync(full).isDirectory()) walk(full, out);
    } catch {
      // a workspace without that folder
    }
  }
  return [...new Set(out)].sort();
}

/** The code that ships and the code that runs it (entry points, scripts, bench, test support), never tests themselves. */
export function productSourceFiles(): string[] {
  const workspaces = ['packages', 'services'].flatMap((group) =>
    readdirSync(join(REPO_ROOT, group)).flatMap((name) => [`${group}/${name}/src`, `${group}/${name}/test/support`]),
  );
  return tsFilesUnder([...workspaces, 'scripts', 'bench', 'db/migrations']).filter(
    (file) => !file.endsWith('.test.ts') && !file.startsWith('scripts/reference/'),
  );
}

/** `packages/sync-engine/src/x.ts` → `@ach/sync-engine`-style label: the workspace folder (`packages/sync-engine`), or the top folder. */
export function areaOf(file: string): string {
  const parts = file.split('/');
  if ((parts[0] === 'packages' || parts[0] === 'services') && parts[1]) return `${parts[0]}/${parts[1]}`;
  return parts[0] ?? file;
}
