/**
 * One `INSERT … ON CONFLICT DO UPDATE` cannot touch the same key twice ("command cannot affect row a
 * second time"), and platforms do repeat themselves. The last occurrence wins, in first-seen order.
 */
export function dedupeBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (byKey.has(key)) byKey.delete(key);
    byKey.set(key, item);
  }
  return [...byKey.values()];
}
