import { psn } from '@ach/platform-registry';
import { runWorkerProcess } from '@ach/sync-engine';

/**
 * Until the PSN sync issue gives the psn module an adapter, this worker only proves its wiring: it
 * connects, reports ready and exits cleanly on SIGTERM. It consumes no jobs, so psn syncs wait in
 * `sync-psn` (visible in Bull Board) instead of failing.
 */
await runWorkerProcess(psn);
