import { ENV_COMBINED_RULES, ENV_DESCRIPTIONS, UNSCHEMATIZED_ENV_DESCRIPTIONS } from '../catalog/env-descriptions.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import { processEnvSchemas } from '../scan/process-env-schemas.ts';
import { rawEnvReads } from '../scan/raw-env-reads.ts';
import { envReadsOf, type EnvRead, type EnvRule } from '../scan/zod-env.ts';

/** `worker-psn, worker-xbox, worker-steam` → `every worker` when no worker is left out. */
function readersText(processes: readonly string[], allWorkers: readonly string[]): string {
  const workers = processes.filter((p) => p.startsWith('worker-'));
  const others = processes.filter((p) => !p.startsWith('worker-'));
  const workerText = workers.length > 0 && workers.length === allWorkers.length && allWorkers.length > 1 ? ['every worker'] : workers;
  const ordered = [...others.filter((p) => p === 'api'), ...workerText, ...others.filter((p) => p !== 'api')];
  return ordered.join(', ');
}

const ruleKey = (rule: EnvRule) => JSON.stringify(rule);

/** One column's text for a variable whose processes may disagree (e.g. required by the worker, optional in the API). */
function perProcess(reads: readonly EnvRead[], render: (rule: EnvRule) => string, allWorkers: readonly string[]): string {
  const groups = new Map<string, { text: string; processes: string[] }>();
  for (const read of reads) {
    const text = render(read.rule);
    const group = groups.get(text) ?? { text, processes: [] };
    group.processes.push(read.process);
    groups.set(text, group);
  }
  if (groups.size === 1) return [...groups.values()][0]!.text;
  return [...groups.values()].map((g) => `${readersText(g.processes, allWorkers)}: ${g.text}`).join('; ');
}

const defaultText = (rule: EnvRule) => (rule.defaultValue === undefined ? '—' : rule.defaultValue === '' ? '(empty)' : code(rule.defaultValue));
const requiredText = (rule: EnvRule) => (rule.required ? '**yes**' : 'no');
const rulesText = (rule: EnvRule) => (rule.constraints.length > 0 ? rule.constraints.join('; ') : '—');

export function environmentSection(): SectionResult {
  const problems: string[] = [];
  const schemas = processEnvSchemas();
  const allWorkers = schemas.map((s) => s.process).filter((p) => p.startsWith('worker-'));
  const byName = new Map<string, EnvRead[]>();
  for (const { process, schema } of schemas) {
    for (const read of envReadsOf(process, schema)) byName.set(read.name, [...(byName.get(read.name) ?? []), read]);
  }

  const rows = [...byName].map(([name, reads]) => {
    const description = ENV_DESCRIPTIONS[name];
    if (!description) problems.push(`environment variable ${name} (read by ${reads.map((r) => r.process).join(', ')}) has no description in scripts/reference/catalog/env-descriptions.ts`);
    const distinctRules = new Set(reads.map((r) => ruleKey(r.rule)));
    const render = (f: (rule: EnvRule) => string) => (distinctRules.size === 1 ? f(reads[0]!.rule) : perProcess(reads, f, allWorkers));
    return [code(name), render(defaultText), render(requiredText), render(rulesText), readersText(reads.map((r) => r.process), allWorkers), description ?? '**undescribed**'];
  });
  for (const name of Object.keys(ENV_DESCRIPTIONS)) {
    if (!byName.has(name)) problems.push(`scripts/reference/catalog/env-descriptions.ts describes ${name}, which no schema reads any more`);
  }

  for (const rule of ENV_COMBINED_RULES) {
    for (const variable of rule.variables) {
      if (!byName.get(variable)?.some((r) => r.process === rule.process)) problems.push(`a combined rule names ${variable}, which ${rule.process} no longer reads`);
    }
  }

  const raw = [...rawEnvReads()].filter(([name]) => !byName.has(name));
  const rawRows = raw.map(([name, files]) => {
    const description = UNSCHEMATIZED_ENV_DESCRIPTIONS[name];
    if (!description) problems.push(`${name} (read in ${files.join(', ')}) has no description in UNSCHEMATIZED_ENV_DESCRIPTIONS`);
    return [code(name), files.map(code).join(', '), description ?? '**undescribed**'];
  });
  for (const name of Object.keys(UNSCHEMATIZED_ENV_DESCRIPTIONS)) {
    if (!raw.some(([n]) => n === name)) problems.push(`UNSCHEMATIZED_ENV_DESCRIPTIONS describes ${name}, which nothing reads any more`);
  }

  const body = [
    'Every process parses its environment **once, at start-up, with one zod schema**. A missing or bad value stops it before it',
    'connects to anything, with one line naming each bad variable and exit code **78** (`EX_CONFIG`); a secret shorter than its',
    'minimum is refused the same way (a guessable secret looks configured, so it is worse than none). A base URL is',
    '`scheme://host[:port]` only: the clients append each platform\'s real paths, so one sandbox can stand in for every host.',
    'The monitor treats an empty value as unset (compose passes `${VAR:-}`). [.env.example](../.env.example) lists every',
    'variable with its default.',
    '',
    '### Processes',
    '',
    table(
      ['process', 'entry point', 'variables'],
      schemas.map((s) => [s.process, `${code(s.entry)}${s.via ? ` (${s.via})` : ''}`, String(Object.keys(s.schema.shape).length)]),
    ),
    '',
    '### Variables',
    '',
    'Rules are the schema\'s own (the words in them are what the process prints). Where processes read a variable',
    'differently, each column says which process does what.',
    '',
    table(['variable', 'default', 'required', 'rules', 'read by', 'what it does'], rows),
    '',
    '### Rules across variables',
    '',
    ...ENV_COMBINED_RULES.map((r) => `- ${r.process}: ${r.variables.map(code).join(', ')} — ${r.rule}`),
    '',
    '### Read outside the schemas',
    '',
    'Tests, the bench, the demo and `docker compose` read a few more, straight from the environment:',
    '',
    table(['variable', 'read in', 'what it does'], rawRows),
  ].join('\n');
  return { section: { title: 'Environment variables', body }, problems };
}
