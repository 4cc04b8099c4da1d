import { xbox } from '@ach/platform-registry';
import { runWorkerProcess } from '@ach/sync-engine';

/**
 * Until the Xbox sync issue gives the xbox module an adapter, this worker only proves its wiring: it
 * connects, reports ready and exits cleanly on SIGTERM. It consumes no jobs, so xbox syncs wait in
 * `sync-xbox` (visible in Bull Board) instead of failing.
 */
await runWorkerProcess(xbox);
