// Must stay the first import: it sets V8 heap flags before the rest of the process allocates.
import '@ach/sync-engine/heap-profile';
import { steam } from '@ach/platform-registry';
import { runWorkerProcess } from '@ach/sync-engine';

await runWorkerProcess(steam);
