import { FUNCTION_DESCRIPTIONS, TABLE_CATALOG, TRIGGER_DESCRIPTIONS } from '../catalog/database-catalog.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import { databaseInterfaceColumns } from '../scan/database-interface.ts';
import { migrationObjects, type SqlObject } from '../scan/migration-objects.ts';
import { areaOf, productSourceFiles, readRepoFile } from '../scan/repo-files.ts';

const shortName = (name: string) => name.replace(/^public\./, '');

/** The first sentence of a migration comment. */
const firstSentence = (text: string) => /^(.+?\.)(\s|$)/.exec(text)?.[1] ?? text;

/** Workspaces (and scripts / bench) whose code calls a SQL function by its qualified name (`public.f(`). */
function callersOf(functionName: string, sources: readonly { file: string; text: string }[]): string[] {
  const pattern = new RegExp(`\\b${functionName.replace('.', '\\.')}\\(`);
  return [...new Set(sources.filter((s) => pattern.test(s.text)).map((s) => areaOf(s.file)))].sort();
}

export function databaseSection(): SectionResult {
  const problems: string[] = [];
  const objects = migrationObjects();
  const columns = databaseInterfaceColumns();
  const sources = productSourceFiles()
    .filter((f) => !f.startsWith('db/migrations/'))
    .map((file) => ({ file, text: readRepoFile(file) }));

  const relations = objects.filter((o) => o.kind === 'table' || o.kind === 'view');
  const relationRows = (kind: SqlObject['kind']) =>
    relations
      .filter((o) => o.kind === kind)
      .map((o) => {
        const entry = TABLE_CATALOG[o.name];
        if (!entry) problems.push(`${o.kind} ${o.name} (${o.migration}) has no owner and purpose in scripts/reference/catalog/database-catalog.ts`);
        const cols = columns.get(o.name);
        return [
          code(shortName(o.name)),
          entry?.owner ?? '**undescribed**',
          entry?.purpose ?? '**undescribed**',
          cols ? cols.map(code).join(', ') : '(not in `Database`)',
          o.migration,
        ];
      });
  for (const name of Object.keys(TABLE_CATALOG)) if (!relations.some((o) => o.name === name)) problems.push(`database-catalog.ts describes ${name}, which the migrations no longer create`);
  for (const name of columns.keys()) if (!relations.some((o) => o.name === name)) problems.push(`the Database interface has ${name}, which the migrations do not create`);

  const triggers = objects.filter((o) => o.kind === 'trigger');
  const functionRows = objects
    .filter((o) => o.kind === 'function')
    .map((o) => {
      const description = FUNCTION_DESCRIPTIONS[o.name] ?? (o.comment ? firstSentence(o.comment) : undefined);
      if (!description) problems.push(`SQL function ${o.name} (${o.migration}) has neither a comment above it nor an entry in FUNCTION_DESCRIPTIONS`);
      const callers = [
        ...triggers.filter((t) => t.executes === o.name).map((t) => `trigger ${code(t.name)}`),
        ...callersOf(o.name, sources).map(code),
      ];
      return [
        code(`${shortName(o.name)}(${o.signature ?? ''})`),
        o.returns ? code(o.returns) : '—',
        description ?? '**undescribed**',
        callers.join(', ') || 'SQL (other functions, psql)',
        o.migration,
      ];
    });
  for (const name of Object.keys(FUNCTION_DESCRIPTIONS)) if (!objects.some((o) => o.kind === 'function' && o.name === name)) problems.push(`FUNCTION_DESCRIPTIONS describes ${name}, which the migrations no longer create`);

  const triggerRows = triggers.map((t) => {
    const description = TRIGGER_DESCRIPTIONS[t.name];
    if (!description) problems.push(`trigger ${t.name} (${t.migration}) has no entry in TRIGGER_DESCRIPTIONS`);
    return [code(t.name), (t.tables ?? []).map((n) => code(shortName(n))).join(', '), t.signature ?? '', code(shortName(t.executes ?? '')), description ?? '**undescribed**'];
  });
  for (const name of Object.keys(TRIGGER_DESCRIPTIONS)) if (!triggers.some((t) => t.name === name)) problems.push(`TRIGGER_DESCRIPTIONS describes ${name}, which the migrations no longer create`);

  const body = [
    'Postgres ≥ 15 (or a Supabase project). `db/migrations/` is append-only, plain SQL inside Kysely migrations, each with',
    'a `down`; `npm run db:migrate` applies them under a session advisory lock. The migration history lives in the schema',
    '`achievement_sync_private` (`kysely_migration`, `kysely_migration_lock`), which PostgREST does not expose. Row Level',
    'Security is on for every user-owned table (a user reads their own rows through PostgREST; the service role bypasses).',
    'Every statement on a table lives in its owner\'s repository module (ESLint keeps kysely\'s `sql` out of everything',
    'else); columns are those of the `Database` interface in `packages/db/src/database.ts`.',
    '',
    '### Tables',
    '',
    table(['table', 'owner', 'what it holds', 'columns', 'created in'], relationRows('table')),
    '',
    '### Views',
    '',
    table(['view', 'owner', 'what it shows', 'columns', 'created in'], relationRows('view')),
    '',
    '### SQL functions',
    '',
    '`execute` is revoked from `anon` / `authenticated` and granted to `service_role` where a service calls it. The',
    'quality-check functions can also be run from psql or the Supabase SQL editor (see',
    '[services/monitor/README.md](../services/monitor/README.md)).',
    '',
    table(['function', 'returns', 'what it does', 'called from', 'created in'], functionRows),
    '',
    '### Triggers',
    '',
    table(['trigger', 'on', 'fires', 'executes', 'what it does'], triggerRows),
  ].join('\n');
  return { section: { title: 'Database', body }, problems };
}
