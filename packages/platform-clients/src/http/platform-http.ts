import { z } from 'zod';
import type { Platform } from '@ach/db';
import { PlatformError, type PlatformErrorKind } from '../platform-error.ts';
import { retryAfterFromHeaders } from './retry-after.ts';

/** One finished call, for per-endpoint stats and call counting. Never carries a URL query (keys live there). */
export interface PlatformCall {
  platform: Platform;
  endpoint: string;
  status: number | 'network-error' | 'timeout';
  durationMs: number;
}

export interface PlatformHttpOptions {
  platform: Platform;
  /** Per request; a hung platform must not hang a job. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Awaited before every request: where a shared rate limiter plugs in. */
  beforeCall?: (endpoint: string) => Promise<void>;
  onCall?: (call: PlatformCall) => void;
  /** Used when a 429 has no usable Retry-After. */
  defaultRetryAfterMs?: number;
}

export interface PlatformResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** Turns a non-2xx answer into an error of the right kind; return undefined to use the defaults. */
export type StatusClassifier = (response: { status: number; body: string; headers: Headers }) => PlatformError | undefined;

export interface PlatformRequest<S extends z.ZodType> {
  endpoint: string;
  url: string | URL;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  schema: S;
  classify?: StatusClassifier;
  /** Statuses (besides 2xx) whose body is parsed with `schema` instead of being an error. */
  acceptStatuses?: number[];
  redirect?: 'follow' | 'manual' | 'error';
}

export interface PlatformHttp {
  readonly platform: Platform;
  request<S extends z.ZodType>(request: PlatformRequest<S>): Promise<PlatformResponse<z.output<S>>>;
  /** For answers that are not JSON (e.g. PSN's authorize redirect): status and headers only. */
  raw(request: Omit<PlatformRequest<z.ZodType>, 'schema'>): Promise<{ status: number; headers: Headers; body: string }>;
}

const defaultKindByStatus = (status: number): PlatformErrorKind => {
  if (status === 401) return 'auth';
  if (status === 403) return 'private';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'transient';
  return 'malformed';
};

/** Short, log-safe excerpt of a body for error messages (platform bodies can be megabytes). */
const excerpt = (body: string) => body.replace(/\s+/g, ' ').slice(0, 200);

export function createPlatformHttp(options: PlatformHttpOptions): PlatformHttp {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const platform = options.platform;

  async function send(request: Omit<PlatformRequest<z.ZodType>, 'schema'>): Promise<{ status: number; headers: Headers; body: string }> {
    await options.beforeCall?.(request.endpoint);
    const started = performance.now();
    const report = (status: PlatformCall['status']) =>
      options.onCall?.({ platform, endpoint: request.endpoint, status, durationMs: performance.now() - started });
    let response: Response;
    try {
      response = await doFetch(request.url, {
        method: request.method ?? 'GET',
        headers: request.headers,
        body: request.body,
        redirect: request.redirect ?? 'follow',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      report(timedOut ? 'timeout' : 'network-error');
      throw new PlatformError({
        kind: 'transient',
        platform,
        endpoint: request.endpoint,
        message: timedOut ? `${request.endpoint} timed out after ${timeoutMs} ms` : `${request.endpoint} network error: ${(error as Error).message}`,
        cause: error,
      });
    }
    let body: string;
    try {
      body = await response.text();
    } catch (error) {
      report('network-error');
      throw new PlatformError({ kind: 'transient', platform, endpoint: request.endpoint, message: `${request.endpoint} body interrupted`, cause: error });
    }
    report(response.status);
    return { status: response.status, headers: response.headers, body };
  }

  function errorFor(request: Omit<PlatformRequest<z.ZodType>, 'schema'>, res: { status: number; headers: Headers; body: string }): PlatformError {
    const classified = request.classify?.(res);
    if (classified) return classified;
    const kind = defaultKindByStatus(res.status);
    return new PlatformError({
      kind,
      platform,
      endpoint: request.endpoint,
      status: res.status,
      message: `${request.endpoint} answered ${res.status}: ${excerpt(res.body)}`,
      ...(kind === 'rate_limited'
        ? { retryAfterMs: retryAfterFromHeaders(res.headers, options.defaultRetryAfterMs ?? 60_000) }
        : {}),
    });
  }

  return {
    platform,
    raw: send,
    async request<S extends z.ZodType>(request: PlatformRequest<S>): Promise<PlatformResponse<z.output<S>>> {
      const res = await send(request);
      const accepted = (res.status >= 200 && res.status < 300) || (request.acceptStatuses ?? []).includes(res.status);
      if (!accepted) throw errorFor(request, res);
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        throw new PlatformError({
          kind: 'malformed',
          platform,
          endpoint: request.endpoint,
          status: res.status,
          message: `${request.endpoint} answered ${res.status} with a body that is not JSON: ${excerpt(res.body)}`,
        });
      }
      const parsed = request.schema.safeParse(json);
      if (!parsed.success) {
        throw new PlatformError({
          kind: 'malformed',
          platform,
          endpoint: request.endpoint,
          status: res.status,
          message: `${request.endpoint} answered an unexpected shape: ${z.prettifyError(parsed.error).slice(0, 500)}`,
        });
      }
      return { status: res.status, headers: res.headers, data: parsed.data };
    },
  };
}
