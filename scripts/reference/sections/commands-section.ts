import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_DESCRIPTIONS, WORKSPACE_SCRIPT_DESCRIPTIONS } from '../catalog/command-descriptions.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import { readRepoFile, REPO_ROOT } from '../scan/repo-files.ts';

interface PackageJson {
  name: string;
  scripts?: Record<string, string>;
}

const packageJson = (path: string) => JSON.parse(readRepoFile(path)) as PackageJson;

/** The first sentence of a file's opening doc comment: what a bench scenario measures. */
function firstDocSentence(text: string): string | undefined {
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1];
  if (!doc) return undefined;
  const prose = doc
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trim())
    .join(' ')
    .trim();
  return /^(.+?\.)(\s|$)/.exec(prose)?.[1] ?? prose;
}

export function commandsSection(): SectionResult {
  const problems: string[] = [];
  const root = packageJson('package.json');
  const rows = Object.entries(root.scripts ?? {}).map(([name, command]) => {
    const description = COMMAND_DESCRIPTIONS[name];
    if (!description) problems.push(`npm script ${name} has no description in scripts/reference/catalog/command-descriptions.ts`);
    return [code(`npm run ${name}`), code(command), description ?? '**undescribed**'];
  });
  for (const name of Object.keys(COMMAND_DESCRIPTIONS)) {
    if (!root.scripts?.[name]) problems.push(`command-descriptions.ts describes npm script ${name}, which package.json no longer has`);
  }

  const workspaces = ['packages', 'services'].flatMap((group) =>
    readdirSync(join(REPO_ROOT, group))
      .sort()
      .map((dir) => packageJson(`${group}/${dir}/package.json`)),
  );
  const workspaceScripts = new Map<string, string[]>();
  for (const ws of workspaces) for (const script of Object.keys(ws.scripts ?? {})) workspaceScripts.set(script, [...(workspaceScripts.get(script) ?? []), ws.name]);
  const workspaceRows = [...workspaceScripts].map(([script, names]) => {
    const description = WORKSPACE_SCRIPT_DESCRIPTIONS[script];
    if (!description) problems.push(`workspace script ${script} has no description in WORKSPACE_SCRIPT_DESCRIPTIONS`);
    const where = names.length === workspaces.length ? 'every workspace' : names.map(code).join(', ');
    return [code(`npm run ${script} -w <workspace>`), where, description ?? '**undescribed**'];
  });

  const scenarioFiles = readdirSync(join(REPO_ROOT, 'bench/scenarios'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  const benchRows = scenarioFiles.map((file) => {
    const name = file.slice(0, -'.ts'.length);
    const what = firstDocSentence(readRepoFile(`bench/scenarios/${file}`));
    if (!what) problems.push(`bench/scenarios/${file} has no opening doc comment saying what it measures`);
    return [code(`npm run bench ${name}`), what ?? '**undescribed**'];
  });

  const body = [
    'Root `package.json` scripts (Node ≥ 22; `.nvmrc` pins 24). `bash .ci/run` is what CI runs: `npm ci`, `lint`, `typecheck`, `test`.',
    '',
    table(['command', 'runs', 'what it does'], rows),
    '',
    '### Per workspace',
    '',
    table(['command', 'in', 'what it does'], workspaceRows),
    '',
    '### Bench scenarios',
    '',
    'Each prints its figures beside a baseline measured in the same run (`bench/scenarios/<name>.ts`).',
    '',
    table(['command', 'measures'], benchRows),
  ].join('\n');
  return { section: { title: 'Commands', body }, problems };
}
