import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBreaches } from '@ach/library';
import { createPsnSyncHarness, type PsnSyncHarness } from './support/psn-sync-harness.ts';
import { differencesFromSandbox } from './support/psn-expectations.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TITLES = 60;
/** The title (in PSN's order) whose user call hangs: the first worker is killed while it waits for it. */
const HELD_AT = 30;

let h: PsnSyncHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await createPsnSyncHarness();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
});

function spawnWorker(name: string): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      ...h.rawEnv,
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '1',
      // One title at a time, in PSN's order: what is written when the worker dies is a known prefix.
      SYNC_GAME_CONCURRENCY: '1',
      SHUTDOWN_GRACE_MS: '3000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  child.stdout!.on('data', (chunk: Buffer) => child.output.push(`[${name}] ${chunk.toString()}`));
  child.stderr!.on('data', (chunk: Buffer) => child.output.push(`[${name}!] ${chunk.toString()}`));
  children.push(child);
  return child;
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const writtenTitles = async (userId: string) =>
  (await sql<{ id: string }>`select platform_game_id as id from user_progress where user_id = ${userId}`.execute(h.db)).rows.map((r) => r.id);

describe('a full PSN sync killed half-way', () => {
  it('kill -9 of the worker: titles written before it stay; the run, taken over by a new worker process, fetches only the titles not yet written', async () => {
    const account = h.addAccount({ titles: TITLES, earnedRatio: 0.5 });
    const user = await h.createUser();
    await h.link(user, account);
    const order = h.sandbox.state.psn.trophies.view(account.accountId, false)!.titles.map((t) => t.npCommunicationId);
    h.sandbox.state.faults.add({ endpoint: 'psn.userTrophies', kind: 'timeout', holdMs: 120_000, count: 1, match: { npCommunicationId: order[HELD_AT]! } });
    const syncId = await h.requestSync(user, 'full');

    const first = spawnWorker('first');
    // The titles before the held one land while the worker waits for it (a batch is written once its
    // first title has waited 2 s, not only when full); then the worker dies.
    const before = await waitUntil('the titles before the held one to be written', 60_000, async () => {
      const ids = await writtenTitles(user);
      return ids.length >= HELD_AT ? ids : undefined;
    });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(new Set(before)).toEqual(new Set(order.slice(0, HELD_AT)));
    expect((await h.run(syncId)).status).toBe('running');

    h.sandbox.state.calls.clear();
    const second = spawnWorker('second');
    const run = await waitUntil('the run to end', 90_000, async () => {
      const row = await h.run(syncId);
      return row.status === 'succeeded' || row.status === 'failed' ? row : undefined;
    });
    expect(run.status, second.output.join('')).toBe('succeeded');
    expect(run.attempts).toBe(2);
    expect(run.stats).toMatchObject({ mode: 'full', gamesSeen: TITLES, gamesResumed: HELD_AT, gamesChanged: TITLES - HELD_AT, gamesWritten: TITLES - HELD_AT });
    // Per title: nothing asked again for the ones already written, one user call for each of the others.
    for (const [i, id] of order.entries()) {
      expect(h.sandbox.state.calls.count('psn.userTrophies', { npCommunicationId: id }), `${i} ${id}`).toBe(i < HELD_AT ? 0 : 1);
      expect(h.sandbox.state.calls.count('psn.titleTrophies', { npCommunicationId: id }), `${i} ${id}`).toBe(i < HELD_AT ? 0 : 1);
    }
    expect(h.sandbox.state.calls.count('psn.trophyTitles')).toBe(1);
    expect(await differencesFromSandbox(h.db, h.sandbox, account.accountId, user)).toEqual([]);
    expect(await parityBreaches(h.db)).toEqual([]);

    second.kill('SIGTERM');
    expect(await new Promise((resolve) => second.once('exit', resolve))).toBe(0);
  });
});
