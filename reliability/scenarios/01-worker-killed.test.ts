import { afterAll, beforeAll, describe, it } from 'vitest';
import { builtinPlatforms, type PlatformModule } from '@ach/platform-registry';
import { libraryRows } from '../support/library-rows.ts';
import { sandboxAccountKit, type RequestWindow } from '../support/sandbox-account-kits.ts';
import { progressParityBreaches } from '../support/stored-library.ts';
import { linkAccount, requestSync, waitForRunsToEnd } from '../support/sync-runs.ts';
import { startSystem, waitFor, type RunningSystem, type ServiceProcess, type ServiceKind } from '../support/system-under-test.ts';

/**
 * "kill -9 a worker of each platform mid-sync: the job finishes on another worker within 15 s, final
 * rows identical to an undisturbed run."
 *
 * Two replicas of every worker. Per platform (all at once, each against its own replicas): a full sync
 * of a library that takes a few seconds; once the run is `running` and has written rows, the replica
 * whose log carries the job's id is SIGKILLed. Its job lock lapses, the other replica's stalled-job
 * check hands the job back to the queue, the other replica resumes the run (titles the dead attempt
 * wrote are not fetched again) and it must be `succeeded` within 15 s of the kill. Then the rows are
 * compared with an undisturbed full sync of the same account by another user.
 */
const LIBRARY = { titles: 40, achievementsPerTitle: 10 };
const RECOVERY_BOUND_MS = 15_000;

/**
 * The workers' call budget per account, where a platform has one (PSN, Xbox): a pace that makes a
 * 40-title full sync last a few seconds whatever the machine's speed — so the kill lands mid-sync,
 * not after the end — and no budget wait long enough to delay a job. Steam's worker paces every
 * call through its key's token bucket (20 per second by default), which does the same.
 */
const PACE: RequestWindow = { max: 15, seconds: 1 };

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem({
    label: 'worker-killed',
    workers: Object.fromEntries(builtinPlatforms.map(({ slug }) => [slug, 2])),
    envFor: Object.fromEntries(builtinPlatforms.map((p) => [`worker-${p.slug}`, sandboxAccountKit(p).requestWindow?.workerEnv(PACE) ?? {}])),
  });
});
afterAll(async () => {
  await system?.stop();
});

/** The pino lines of a process about one job (a worker logs `jobId` = the run's id on every line of a job). */
const jobLines = (service: ServiceProcess, syncId: string) =>
  service.lines
    .filter((line) => line.includes(syncId))
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as { jobId?: string; msg?: string };
        return parsed.jobId === syncId ? [parsed] : [];
      } catch {
        return [];
      }
    });

const alive = (service: ServiceProcess) => service.child.exitCode === null && service.child.signalCode === null;

async function storedTitles(userId: string, platformId: number): Promise<number> {
  const row = await system.db
    .selectFrom('user_progress')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('platform_id', '=', platformId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe.concurrent('a worker killed with SIGKILL mid-sync', () => {
  builtinPlatforms.forEach((platform: PlatformModule, index) => {
    const { slug, id: platformId } = platform;
    it(`${slug}: the other replica finishes the run within 15 s, with the rows of an undisturbed run`, async ({ expect }) => {
      const kind: ServiceKind = `worker-${slug}`;
      const { linkBody } = sandboxAccountKit(platform).create(system.sandbox.state, index, LIBRARY);
      const owner = await system.signUp();
      await linkAccount(system, owner.authorization, slug, linkBody);
      const syncId = await requestSync(system, owner.authorization, slug, 'full');

      // Mid-sync: the run is running and has written titles — half of them, so that what is left
      // takes seconds at the pace, not most of the 15 s the takeover may use up to ~9 of.
      await waitFor(
        `the ${slug} run to write half its titles`,
        async () => {
          const run = await system.db.selectFrom('sync_logs').select('status').where('id', '=', syncId).executeTakeFirstOrThrow();
          return run.status === 'running' && (await storedTitles(owner.userId, platformId)) >= LIBRARY.titles / 2;
        },
        60_000,
        50,
      );
      const replicas = system.services.filter((s) => s.kind === kind);
      expect(replicas).toHaveLength(2);
      const holder = replicas.find((s) => jobLines(s, syncId).length > 0);
      if (!holder) throw new Error(`no ${kind} replica logged job ${syncId}`);
      const survivor = replicas.find((s) => s !== holder)!;
      await system.signal(holder, 'SIGKILL');
      const killedAt = Date.now();
      const writtenAtKill = await storedTitles(owner.userId, platformId);

      const [run] = await waitForRunsToEnd(system, [syncId], 60_000);
      const { finished_at: finishedAt } = await system.db.selectFrom('sync_logs').select('finished_at').where('id', '=', syncId).executeTakeFirstOrThrow();
      const recoveredInMs = new Date(finishedAt!).getTime() - killedAt;
      console.log(`${slug}: ${writtenAtKill} of ${LIBRARY.titles} titles written at the kill; run ${run!.status} ${recoveredInMs} ms after it (attempts ${run!.attempts})`);
      expect(run!.status, run!.error_code ?? undefined).toBe('succeeded');
      expect(writtenAtKill).toBeLessThan(LIBRARY.titles);
      expect(recoveredInMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
      // Finished by the other replica (its line may arrive just after the row), the killed one still dead.
      await waitFor(`${survivor.name} to log the run's success`, () => jobLines(survivor, syncId).some((l) => l.msg === 'sync succeeded'), 5_000);
      expect(alive(survivor) && !alive(holder)).toBe(true);

      // Reference: the same account, unlinked by its owner and linked by another user, synced without
      // interruption. Its definitions are marked stale first, so that run fetches and writes them
      // again instead of trusting what the killed run stored.
      const disturbed = await libraryRows(system.db, owner.userId, platformId);
      expect((await system.api('DELETE', `/accounts/${slug}`, owner.authorization)).status).toBe(204);
      await system.db.updateTable('games').set({ metadata_fetched_at: null }).where('platform_id', '=', platformId).execute();
      const other = await system.signUp();
      await linkAccount(system, other.authorization, slug, linkBody);
      const [reference] = await waitForRunsToEnd(system, [await requestSync(system, other.authorization, slug, 'full')], 60_000);
      expect(reference!.status).toBe('succeeded');
      const undisturbed = await libraryRows(system.db, other.userId, platformId);
      expect(disturbed).toEqual(undisturbed);
      expect(disturbed.user_progress).toHaveLength(LIBRARY.titles);
      expect(await progressParityBreaches(system.db)).toEqual([]);
    });
  });
});
