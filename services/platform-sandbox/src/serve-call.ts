import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ArmedFault } from './faults.ts';
import type { SandboxContext } from './sandbox-context.ts';

/** One complete answer: the sandbox builds bodies as strings so error pages stay byte-exact. */
export interface CannedResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
  /** Send `contentType` exactly as given: Fastify otherwise appends `; charset=utf-8` to a JSON type (PSN sends bare `application/json`). */
  exactContentType?: boolean;
}

/** How a platform answers each injected failure (Steam: HTML pages; PSN/Xbox: their JSON envelopes). */
export interface PlatformFaultResponses {
  /** The 429; `serveCall` adds `retry-after` when the fault carries `retryAfterSeconds`. */
  rateLimited: CannedResponse;
  serverError: CannedResponse;
  unauthorized: CannedResponse;
  forbidden: CannedResponse;
  /** Sent when a `timeout` fault's hold ends and the client is still waiting. */
  gatewayTimeout: CannedResponse;
  /** A 200 whose body is not what the client asked for (a captive portal, an error page). */
  garbage?: CannedResponse;
}

export interface PlatformCall {
  /** Endpoint id, e.g. `steam.GetOwnedGames`: what faults match and calls are counted by. */
  endpoint: string;
  /** Semantic parameters (appid, steamid, ...): fault `match` and per-param call counts use them. */
  params: Record<string, string | undefined>;
  faults: PlatformFaultResponses;
}

const GARBAGE: CannedResponse = {
  status: 200,
  contentType: 'text/html; charset=UTF-8',
  body: '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>We are performing maintenance</h1><p>Please try again later.</p></body></html>',
};

/** The form parser the token endpoints need (Fastify parses only JSON and text by default). */
export function ensureFormParser(app: FastifyInstance): void {
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) return;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}

export function send(reply: FastifyReply, response: CannedResponse): FastifyReply {
  reply.code(response.status).type(response.contentType);
  if (response.headers) reply.headers(response.headers);
  // A Buffer payload is sent as is, header included.
  return reply.send(response.exactContentType ? Buffer.from(response.body, 'utf8') : response.body);
}

/** Holds a request until `ms` pass, the client goes away or the server starts closing. */
function hold(ms: number, reply: FastifyReply, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      closing.removeEventListener('abort', done);
      reply.raw.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (closing.aborted) return done();
    closing.addEventListener('abort', done, { once: true });
    reply.raw.once('close', done);
  });
}

/**
 * The one path every platform endpoint answers through: counts the call, fires an armed fault if one
 * matches, otherwise sends what `produce` builds. Keeping this in one place is what makes faults and
 * call counts behave the same on every platform.
 */
export async function serveCall(
  sandbox: SandboxContext,
  reply: FastifyReply,
  call: PlatformCall,
  produce: () => CannedResponse,
): Promise<FastifyReply> {
  sandbox.state.calls.record(call.endpoint, call.params);
  const fault = sandbox.state.faults.take(call.endpoint, call.params);
  if (!fault) {
    const response = produce();
    // Without a fault, only a full request window answers 429 (the stand-ins have no other reason to).
    if (response.status === 429) sandbox.state.throttled.record(call.endpoint, call.params);
    return send(reply, response);
  }
  return send(reply, await faultResponse(sandbox, reply, call, fault, produce));
}

async function faultResponse(
  sandbox: SandboxContext,
  reply: FastifyReply,
  call: PlatformCall,
  fault: ArmedFault,
  produce: () => CannedResponse,
): Promise<CannedResponse> {
  switch (fault.kind) {
    case 'rate_limited': {
      const limited = call.faults.rateLimited;
      if (fault.retryAfterSeconds === undefined) return limited;
      return { ...limited, headers: { ...limited.headers, 'retry-after': String(fault.retryAfterSeconds) } };
    }
    case 'server_error':
      return call.faults.serverError;
    case 'unauthorized':
      return call.faults.unauthorized;
    case 'forbidden':
      return call.faults.forbidden;
    case 'garbage':
      return call.faults.garbage ?? GARBAGE;
    case 'malformed_json': {
      // The real answer cut mid-way: declared JSON, not parseable (a dropped connection behind a proxy).
      const real = produce();
      const cut = Math.max(1, Math.min(real.body.length - 1, Math.floor(real.body.length / 2)));
      return { status: 200, contentType: 'application/json; charset=UTF-8', body: real.body.slice(0, cut) };
    }
    case 'timeout':
      await hold(fault.holdMs, reply, sandbox.closing);
      return call.faults.gatewayTimeout;
  }
}
