/**
 * Counts every request a platform endpoint receives (faulted ones included: the platform saw them), per
 * endpoint id (`steam.GetOwnedGames`) and per semantic parameter (`appid=440`), so tests and benchmarks
 * can assert "the schema was fetched once" or "no call was made for an unchanged game".
 */
export interface EndpointCalls {
  total: number;
  /** `name=value` → count, for the parameters the route reported (e.g. appid, steamid). */
  byParam: Record<string, number>;
}

export type CallSnapshot = Record<string, EndpointCalls>;

export interface CallCounter {
  record(endpoint: string, params?: Record<string, string | undefined>): void;
  /** Calls to `endpoint`, optionally only those whose parameters include every `match` entry. */
  count(endpoint: string, match?: Record<string, string>): number;
  snapshot(): CallSnapshot;
  clear(): void;
}

export function createCallCounter(): CallCounter {
  const totals = new Map<string, number>();
  // endpoint → "name=value" → count. Combined matches (two params at once) use the exact-tuple map below.
  const byParam = new Map<string, Map<string, number>>();
  const byTuple = new Map<string, Map<string, number>>();

  const tupleKey = (params: Record<string, string>) =>
    Object.keys(params)
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join('&');

  const bump = (map: Map<string, Map<string, number>>, endpoint: string, key: string) => {
    let inner = map.get(endpoint);
    if (!inner) map.set(endpoint, (inner = new Map()));
    inner.set(key, (inner.get(key) ?? 0) + 1);
  };

  return {
    record(endpoint, params = {}) {
      totals.set(endpoint, (totals.get(endpoint) ?? 0) + 1);
      const present: Record<string, string> = {};
      for (const [name, value] of Object.entries(params)) {
        if (value === undefined) continue;
        present[name] = value;
        bump(byParam, endpoint, `${name}=${value}`);
      }
      if (Object.keys(present).length > 1) bump(byTuple, endpoint, tupleKey(present));
    },
    count(endpoint, match) {
      if (!match || Object.keys(match).length === 0) return totals.get(endpoint) ?? 0;
      const entries = Object.entries(match);
      if (entries.length === 1) {
        const [name, value] = entries[0]!;
        return byParam.get(endpoint)?.get(`${name}=${value}`) ?? 0;
      }
      // Several parameters: sum the recorded tuples that contain all of them.
      let sum = 0;
      for (const [key, n] of byTuple.get(endpoint) ?? []) {
        const parts = new Set(key.split('&'));
        if (entries.every(([name, value]) => parts.has(`${name}=${value}`))) sum += n;
      }
      return sum;
    },
    snapshot() {
      const out: CallSnapshot = {};
      for (const [endpoint, total] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
        out[endpoint] = { total, byParam: Object.fromEntries(byParam.get(endpoint) ?? []) };
      }
      return out;
    },
    clear() {
      totals.clear();
      byParam.clear();
      byTuple.clear();
    },
  };
}
