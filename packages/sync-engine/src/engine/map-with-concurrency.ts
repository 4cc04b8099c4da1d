/**
 * Runs `fn` over `items` with at most `limit` in flight. After the first failure no new item starts;
 * the ones in flight are allowed to settle (so their results can still be written), then the first
 * error is thrown.
 */
export async function mapWithConcurrency<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const lane = async () => {
    while (!firstError && next < items.length) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (error) {
        firstError ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (firstError) throw firstError.error;
}
