import { z } from 'zod';
import { builtinPlatforms } from '@ach/platform-registry';
import { MONITOR_QUEUE_NAME, SYNC_JOB_NAME, SYNC_JOB_OPTIONS, SYNC_WORKER_LOCK_SETTINGS, syncEventSchema, syncJobSchema } from '@ach/queue';
import {
  FULL_CHECK_SCHEDULER_ID,
  INCREMENTAL_CHECK_SCHEDULER_ID,
  QUALITY_JOB_NAME,
  qualityJobSchema,
} from '../../../services/monitor/src/schedule/monitor-scheduler.ts';
import { REDIS_KEY_DESCRIPTIONS } from '../catalog/redis-key-descriptions.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import { redisKeyPatterns } from '../scan/redis-keys.ts';

interface FieldSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
}

/** A zod object's fields as rows: name, type (with its rule), required. */
function fieldRows(schema: z.ZodType): string[][] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, FieldSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, field]) => {
    const type = field.enum
      ? field.enum.map((v) => code(JSON.stringify(v))).join(' | ')
      : [
          Array.isArray(field.type) ? field.type.join(' or ') : (field.type ?? 'any'),
          field.format ? `(${field.format})` : '',
          field.pattern && !field.format ? `matching ${code(field.pattern)}` : '',
          field.minimum !== undefined && field.maximum !== undefined ? `${field.minimum}–${field.maximum}` : '',
        ]
          .filter(Boolean)
          .join(' ');
    return [code(name), type, json.required?.includes(name) ? 'yes' : 'no'];
  });
}

export function queuesSection(): SectionResult {
  const problems: string[] = [];
  const keys = redisKeyPatterns();
  const families = [...new Set(keys.map((k) => k.family))].sort();
  for (const key of keys) if (!REDIS_KEY_DESCRIPTIONS[key.family]) problems.push(`Redis key family ${key.family} (${key.pattern}) has no description in scripts/reference/catalog/redis-key-descriptions.ts`);
  for (const family of Object.keys(REDIS_KEY_DESCRIPTIONS)) if (!keys.some((k) => k.family === family)) problems.push(`redis-key-descriptions.ts describes ${family}, which no code builds any more`);

  const body = [
    'BullMQ on Redis; every key is under `QUEUE_PREFIX`. Redis holds work in flight only: the database is the source of',
    'truth, and a lost job is rebuilt from `sync_logs` (the monitor\'s stuck-sync sweep re-enqueues it).',
    '',
    '### Sync queues',
    '',
    'One queue per platform module of the registry (`syncQueueName(slug)` = `sync-<slug>`). Producer: the API\'s accept',
    'path (`requestSync` in @ach/sync-runs) and the monitor\'s stuck-sync sweep; consumer: that platform\'s worker.',
    '',
    table(
      ['queue', 'platform', '`platforms.id`', 'consumer'],
      builtinPlatforms.map((m) => [code(m.queueName), `${m.displayName} (${code(m.slug)})`, String(m.id), `worker-${m.slug}`]),
    ),
    '',
    `Job name ${code(SYNC_JOB_NAME)}, **job id = sync id** (adding the same run twice is a no-op). The payload is ids only —`,
    'a token never enters Redis or Bull Board — and the runner validates it with `syncJobSchema` (a bad payload fails the',
    'job at once, unrecoverable):',
    '',
    table(['field', 'type', 'required'], fieldRows(syncJobSchema)),
    '',
    `Job options (\`SYNC_JOB_OPTIONS\`): ${code(JSON.stringify(SYNC_JOB_OPTIONS))}. Retries are for transient failures`,
    'only; a rate limit moves the job to delayed without counting an attempt; everything else fails the run at once (see',
    '[Error codes](#error-codes)).',
    '',
    `Worker lock (\`SYNC_WORKER_LOCK_SETTINGS\`): ${code(JSON.stringify(SYNC_WORKER_LOCK_SETTINGS))} — a killed worker's job`,
    'is taken over by another replica within ~9 s (so that it finishes within 15 s of the kill).',
    '',
    '### Monitor queue',
    '',
    `${code(MONITOR_QUEUE_NAME)}: job ${code(QUALITY_JOB_NAME)} from two job schedulers with fixed ids, so any number of`,
    `monitor replicas keep one schedule: ${code(FULL_CHECK_SCHEDULER_ID)} (\`MONITOR_CRON\` in \`MONITOR_TZ\`) and`,
    `${code(INCREMENTAL_CHECK_SCHEDULER_ID)} (every \`MONITOR_INCREMENTAL_EVERY_MS\`). Payload:`,
    '',
    table(['field', 'type', 'required'], fieldRows(qualityJobSchema)),
    '',
    '### Run events (pub/sub)',
    '',
    'Every change of a run (status, progress) is published on `<prefix>:sync-events:<userId>`; the API\'s SSE streams relay',
    'them. Message (`syncEventSchema`):',
    '',
    table(['field', 'type', 'required'], fieldRows(syncEventSchema)),
    '',
    '### Redis keys',
    '',
    'Besides BullMQ\'s own (`<prefix>:<queue>:…`), read from the code:',
    '',
    table(
      ['keys', 'built in', 'holds'],
      families.map((family) => {
        const ofFamily = keys.filter((k) => k.family === family);
        return [
          ofFamily.map((k) => code(k.pattern)).join(', '),
          [...new Set(ofFamily.flatMap((k) => k.files))].map(code).join(', '),
          REDIS_KEY_DESCRIPTIONS[family] ?? '**undescribed**',
        ];
      }),
    ),
  ].join('\n');
  return { section: { title: 'Queues and jobs', body }, problems };
}
