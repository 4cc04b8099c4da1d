import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

describe('test harness', () => {
  it('gives each file a migrated database of its own', async () => {
    const platforms = await t.db.selectFrom('platforms').select(['id', 'code']).orderBy('id').execute();
    expect(platforms).toEqual([
      { id: 1, code: 'psn' },
      { id: 2, code: 'xbox' },
      { id: 3, code: 'steam' },
    ]);
    expect(t.name).toMatch(/^ach_t_/);
  });
});
