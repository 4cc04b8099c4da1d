import type { Job, Queue } from 'bullmq';

/**
 * Waits until a job has completed or failed and returns it as it is *then*. The job is read again
 * after its state is seen final: a job object fetched before the state check can predate the
 * worker's last move (it completed in between), and its attemptsMade, returnvalue and failedReason
 * would be one step stale.
 */
export async function settledJob<T>(queue: Queue<T>, jobId: string, timeoutMs = 30_000, pollMs = 50): Promise<Job<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') {
      const job = await queue.getJob(jobId);
      if (job) return job;
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
