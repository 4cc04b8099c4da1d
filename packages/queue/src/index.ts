export { MONITOR_QUEUE_NAME, SYNC_JOB_NAME, syncQueueName } from './queue-names.ts';
export { platformSlugSchema, SYNC_JOB_OPTIONS, SYNC_WORKER_LOCK_SETTINGS, syncJobSchema, type SyncJob } from './sync-job.ts';
export { createRedisConnection, type RedisClient, type RedisRole } from './redis-connection.ts';
export { createSyncQueue, createSyncQueues, enqueueSync, enqueueSyncBulk, SyncEnqueueError, syncQueueFor, type SyncQueues } from './sync-queues.ts';
export { parseSyncEvent, publishSyncEvent, subscribeSyncEvents, syncEventSchema, syncEventsChannel, type SyncEvent } from './sync-events.ts';
export { deletePrefixedKeys } from './delete-prefixed-keys.ts';
export { pingRedis } from './ping-redis.ts';
