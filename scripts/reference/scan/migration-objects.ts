import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRepoFile, REPO_ROOT } from './repo-files.ts';

export interface SqlObject {
  kind: 'table' | 'view' | 'function' | 'trigger';
  /** `public.sync_logs`, `auth.uid` */
  name: string;
  /** The migration file that (last) created it. */
  migration: string;
  /** Functions: the argument list as written; triggers: the event (`after insert`). */
  signature?: string;
  /** Functions: what it returns. */
  returns?: string;
  /** Triggers: the tables it is on. */
  tables?: string[];
  /** Triggers: the function it executes. */
  executes?: string;
  /** The `--` comment right above the statement, joined. */
  comment?: string;
}

/** The text of `up` only: what `down` drops must not count as dropped. */
function upPart(text: string): string {
  const down = text.indexOf('export async function down');
  return down < 0 ? text : text.slice(0, down);
}

/** From the `(` at `open`, the text up to its matching `)`. */
function balanced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** The contiguous `--` comment lines right above `index`. */
function commentAbove(text: string, index: number): string | undefined {
  const lines = text.slice(0, index).split('\n');
  lines.pop(); // the statement's own line, up to the statement
  const comment: string[] = [];
  for (let line = lines.pop(); line !== undefined && /^\s*--/.test(line); line = lines.pop()) comment.unshift(line.replace(/^\s*--\s?/, '').trim());
  return comment.length > 0 ? comment.join(' ') : undefined;
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/** `${sql.table(`public.${table}`)}` / `${table(name)}` inside `for (const table of [...])` or `of LIST` → the table names. */
function loopTables(text: string, index: number, variable: string): string[] {
  const before = text.slice(0, index);
  const loops = [...before.matchAll(new RegExp(`for \\(const ${variable} of (\\[[^\\]]*\\]|[A-Z_a-z]+)`, 'g'))];
  const source = loops.at(-1)?.[1];
  if (!source) return [];
  const list = source.startsWith('[') ? source : (new RegExp(`const ${source}\\s*=\\s*(\\[[^\\]]*\\])`).exec(text)?.[1] ?? '');
  return [...list.matchAll(/'([a-z_][a-z0-9_]*)'/g)].map((m) => `public.${m[1]}`);
}

/**
 * Tables, views, functions and triggers the migrations create, in migration order, minus what a
 * later migration's `up` drops. Plain SQL in TypeScript template strings, read as text.
 */
export function migrationObjects(): SqlObject[] {
  const files = readdirSync(join(REPO_ROOT, 'db/migrations'))
    .filter((f) => /^\d{4}_.*\.ts$/.test(f) && !f.endsWith('.test.ts'))
    .sort();
  const objects = new Map<string, SqlObject>();
  const key = (kind: string, name: string) => `${kind}:${name}`;
  for (const file of files) {
    const migration = file.slice(0, -'.ts'.length);
    const text = upPart(readRepoFile(`db/migrations/${file}`));

    for (const m of text.matchAll(/\bdrop (table|view|function|trigger)(?: if exists)? ([a-z_][a-z0-9_.]*)/gi)) {
      const kind = m[1]!.toLowerCase();
      // Triggers are named per table, without a schema; relations and functions are schema-qualified.
      objects.delete(key(kind, kind === 'trigger' || m[2]!.includes('.') ? m[2]! : `public.${m[2]}`));
    }
    for (const m of text.matchAll(/\bcreate (?:or replace )?(table|view)(?: if not exists)? ([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)/gi)) {
      const kind = m[1]!.toLowerCase() as 'table' | 'view';
      objects.set(key(kind, m[2]!), { kind, name: m[2]!, migration, comment: commentAbove(text, m.index) });
    }
    for (const m of text.matchAll(/\bcreate (?:or replace )?function ([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)\s*\(/gi)) {
      const open = m.index + m[0].length - 1;
      const args = balanced(text, open);
      const after = text.slice(open + args.length + 2);
      const returnsTable = /^\s*returns\s+table\s*\(/i.exec(after);
      const returnsText = returnsTable
        ? `table (${squash(balanced(after, returnsTable[0].length - 1))})`
        : /^\s*returns\s+([^\n$]+?)(?=\s+(?:language|as|security|stable|volatile|immutable|set)\b|\s*\n)/i.exec(after)?.[1]?.trim();
      objects.set(key('function', m[1]!), {
        kind: 'function',
        name: m[1]!,
        migration,
        signature: squash(args),
        ...(returnsText ? { returns: squash(returnsText) } : {}),
        comment: commentAbove(text, m.index),
      });
    }
    for (const m of text.matchAll(/\bcreate (?:or replace )?trigger ([a-z_][a-z0-9_]*)\s+(before|after|instead of)\s+([\s\S]+?)\s+on\s+(\$\{sql\.table\(`public\.\$\{(\w+)\}`\)\}|\$\{\w+\((\w+)\)\}|[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)([\s\S]*?)execute (?:function|procedure) ([a-z_][a-z0-9_.]*)/gi)) {
      const loopVariable = m[5] ?? m[6];
      const tables = loopVariable ? loopTables(text, m.index, loopVariable) : [m[4]!];
      const existing = objects.get(key('trigger', m[1]!));
      objects.set(key('trigger', m[1]!), {
        kind: 'trigger',
        name: m[1]!,
        migration,
        signature: `${m[2]!.toLowerCase()} ${squash(m[3]!)}${/for each statement/i.test(m[7]!) ? ', per statement' : ', per row'}`,
        tables: [...new Set([...(existing?.tables ?? []), ...tables])],
        executes: m[8]!,
      });
    }
  }
  return [...objects.values()];
}
