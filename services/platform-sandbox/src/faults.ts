import { z } from 'zod';

/**
 * Injected failures. A fault is armed for an endpoint id (optionally only when the request's parameters
 * match, e.g. `{ appid: '440' }`) and fires on the next `count` matching requests, one per request.
 */
export const FAULT_KINDS = ['rate_limited', 'server_error', 'unauthorized', 'forbidden', 'timeout', 'malformed_json', 'garbage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Longest a `timeout` fault holds a request: long enough to outlive any client timeout, short enough not to wedge a test run. */
export const MAX_HOLD_MS = 120_000;
export const DEFAULT_HOLD_MS = 30_000;

export const faultSpecSchema = z.strictObject({
  /** Endpoint id such as `steam.GetOwnedGames`; `*` matches every endpoint (of any platform). */
  endpoint: z.string().min(1),
  kind: z.enum(FAULT_KINDS),
  count: z.number().int().min(1).max(100_000).default(1),
  /** For `rate_limited`: the `Retry-After` header in seconds (omitted when absent). */
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Only requests whose parameters include every entry (values compared as strings). */
  match: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  /** For `timeout`: how long to hold the request before answering 504. */
  holdMs: z.number().int().min(1).max(MAX_HOLD_MS).optional(),
});
export type FaultSpec = z.input<typeof faultSpecSchema>;

export interface ArmedFault {
  id: number;
  endpoint: string;
  kind: FaultKind;
  remaining: number;
  retryAfterSeconds: number | undefined;
  match: Record<string, string> | undefined;
  holdMs: number;
}

export interface FaultInjector {
  /** Arms a fault; returns it (with its id) so a caller can inspect `remaining` later. */
  add(spec: FaultSpec): ArmedFault;
  /** Consumes one firing of the first armed fault that matches, if any. */
  take(endpoint: string, params: Record<string, string | undefined>): ArmedFault | undefined;
  list(): ArmedFault[];
  clear(): void;
}

export function createFaultInjector(): FaultInjector {
  let armed: ArmedFault[] = [];
  let nextId = 1;

  const matches = (fault: ArmedFault, endpoint: string, params: Record<string, string | undefined>) =>
    (fault.endpoint === '*' || fault.endpoint === endpoint) &&
    Object.entries(fault.match ?? {}).every(([name, value]) => params[name] === value);

  return {
    add(spec) {
      const parsed = faultSpecSchema.parse(spec);
      const fault: ArmedFault = {
        id: nextId++,
        endpoint: parsed.endpoint,
        kind: parsed.kind,
        remaining: parsed.count,
        retryAfterSeconds: parsed.retryAfterSeconds,
        match: parsed.match,
        holdMs: parsed.holdMs ?? DEFAULT_HOLD_MS,
      };
      armed.push(fault);
      return fault;
    },
    take(endpoint, params) {
      const fault = armed.find((f) => f.remaining > 0 && matches(f, endpoint, params));
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining === 0) armed = armed.filter((f) => f !== fault);
      return { ...fault };
    },
    list: () => armed.map((f) => ({ ...f })),
    clear() {
      armed = [];
    },
  };
}
