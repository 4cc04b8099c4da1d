import v8 from 'node:v8';

/**
 * Import first in a worker's main.ts (`import '@ach/sync-engine/heap-profile'`), before anything
 * allocates much. A sync's live set is small, but it allocates fast (response bodies, JSON, zod,
 * array parameters): with V8's throughput defaults the heap grows far past it (a PSN full sync of
 * 2,000 titles peaked at ≈ 310 MB RSS, a Steam one of 1,000 games likewise). Optimising for size
 * keeps the peak well under 200 MB at about the same wall time (bench: psn-full-sync,
 * sync-engine-full-sync). `WORKER_V8_OPTIMIZE_FOR_SIZE=false` turns it off.
 */
if (process.env.WORKER_V8_OPTIMIZE_FOR_SIZE !== 'false') v8.setFlagsFromString('--optimize-for-size');
