import { randomBytes } from 'node:crypto';

/** One request of a load: what was asked, when, and how it ended (a status with the whole body read, or an error). */
export interface LoadRequest {
  /** Sent as `x-request-id`: the API logs it as the request's `reqId`, so its log says which requests it saw. */
  id: string;
  method: string;
  path: string;
  startedAt: number;
  endedAt?: number;
  status?: number;
  body?: unknown;
  /** The failure's code and message (a reset socket, a refused connection, a body cut short). */
  error?: string;
}

export interface LoadRequestSpec {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

export interface HttpLoad {
  /** Every request sent so far, settled or not. */
  readonly requests: readonly LoadRequest[];
  /** Stops sending new requests; resolves once every request sent has settled. */
  stop(): Promise<void>;
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return [cause?.code, cause?.message ?? (error as Error).message].filter(Boolean).join(' ');
}

/**
 * A steady stream of API requests from `concurrency` loops, each sending the next request as soon as
 * its last one settled (keep-alive connections, as a client's pool uses them). `next(n)` says what
 * the n-th request is. A failed request is recorded, not thrown; after one the loop pauses briefly,
 * so a stopped API is not hammered.
 */
export function startHttpLoad(apiUrl: string, next: (n: number) => LoadRequestSpec, options: { concurrency: number }): HttpLoad {
  const requests: LoadRequest[] = [];
  const run = randomBytes(3).toString('hex');
  let counter = 0;
  let stopped = false;

  async function send(spec: LoadRequestSpec, n: number): Promise<LoadRequest> {
    const request: LoadRequest = { id: `load-${run}-${n}`, method: spec.method, path: spec.path, startedAt: Date.now() };
    requests.push(request);
    try {
      const res = await fetch(`${apiUrl}${spec.path}`, {
        method: spec.method,
        headers: {
          'x-request-id': request.id,
          ...(spec.authorization ? { authorization: spec.authorization } : {}),
          ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      });
      // Complete means the whole body: a response cut short fails here.
      const text = await res.text();
      request.status = res.status;
      try {
        request.body = JSON.parse(text);
      } catch {
        request.body = text;
      }
    } catch (error) {
      request.error = describeFailure(error);
    } finally {
      request.endedAt = Date.now();
    }
    return request;
  }

  const loops = Array.from({ length: options.concurrency }, async () => {
    while (!stopped) {
      const n = counter++;
      const sent = await send(next(n), n);
      if (sent.error) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  return {
    requests,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
