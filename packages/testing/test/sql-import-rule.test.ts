import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const source = "import { sql } from 'kysely';\nexport const one = sql`select 1`;\n";

async function restrictedImportErrors(filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the one-home-per-table lint rule', () => {
  it.each([
    'services/api/src/routes/games/index.ts',
    'services/api/src/sync/some-handler.ts',
    'packages/sync-engine/src/engine/sync-engine.ts',
    'services/monitor/src/main.ts',
    'scripts/demo.ts',
  ])('refuses a kysely sql import in %s', async (filePath) => {
    const errors = await restrictedImportErrors(filePath);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/repository module/);
  });

  it.each([
    'packages/library/src/repository/library-read-repository.ts',
    'services/monitor/src/quality/quality-repository.ts',
    'db/migrations/0001_core_schema.ts',
    'services/api/test/games.test.ts',
  ])('allows it in %s', async (filePath) => {
    expect(await restrictedImportErrors(filePath)).toEqual([]);
  });

  it('still allows the rest of kysely everywhere', async () => {
    const eslint = new ESLint({ cwd: root });
    const [result] = await eslint.lintText("import type { Kysely } from 'kysely';\nexport type Db = Kysely<object>;\n", { filePath: 'services/api/src/routes/games/index.ts' });
    expect(result?.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });
});
