import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { PROBLEM_CONTENT_TYPE, ProblemError, problemBody } from '../problem.ts';

/** Fastify's own client errors and the code the app exposes for each. */
const FASTIFY_CLIENT_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
};

function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, extra?: Record<string, unknown>): FastifyReply {
  // Serialized here, not by a route's response schema: an error must never fail serialization.
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemBody(status, code, detail, extra)));
}

/**
 * Some messages quote the client's input (zod's "Unrecognized key: …", a record key in a path):
 * a 30 KB key must not come back as a 30 KB answer. Names and reasons are capped, issues too.
 */
const MAX_ECHO = 200;
const MAX_ISSUES = 20;
const capped = (text: string) => (text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text);

function validationProblem(error: FastifyError & { validation: { instancePath?: string; message?: string; params?: unknown }[] }, context?: string) {
  const where = context ?? 'request';
  const invalidParams = error.validation.slice(0, MAX_ISSUES).map((issue) => {
    const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const name = path ? `${where}.${path}` : where;
    return { name: capped(name), reason: capped(issue.message ?? 'invalid') };
  });
  const detail = invalidParams.map((p) => `${p.name}: ${p.reason}`).join('; ');
  return { detail, invalidParams };
}

/** Errors Fastify raises before routing (bad URL encoding, over-long params): problem+json too. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const code = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long' : (error.code && FASTIFY_CLIENT_CODES[error.code]) ?? 'bad_request';
  void sendProblem(reply, status, code, status === 414 ? 'A path parameter is too long' : 'The request URL is malformed');
}

/** What Node's HTTP parser refuses, by its error code (anything else it refuses is a 400). */
const PARSER_REFUSALS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', detail: 'The request line and headers together exceed 16 KB' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'The request did not arrive in time' },
};

/**
 * Fastify's `clientErrorHandler`: requests the HTTP parser refuses before Fastify sees them (raw
 * spaces or bytes in the path, headers over 16 KB, a malformed request line) are answered with
 * problem+json like every other refusal, not Fastify's own `{"error":"Bad Request",…}` JSON.
 */
export function clientErrorProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, detail } = (error.code ? PARSER_REFUSALS[error.code] : undefined) ?? { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP' };
  const body = JSON.stringify(problemBody(status, code, detail));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Every error leaves as application/problem+json. 4xx explain themselves; a 5xx says only that
 * something failed and carries the request id to find the log line — never the internal message.
 */
export function installProblemErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ProblemError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      if (error.status >= 500) request.log.warn({ code: error.code, err: error.cause ?? error }, 'request failed');
      return sendProblem(reply, error.status, error.code, error.message, error.extra);
    }
    if (hasZodFastifySchemaValidationErrors(error) || error.validation) {
      const { detail, invalidParams } = validationProblem(error as never, error.validationContext);
      return sendProblem(reply, 400, 'validation_failed', detail, { invalidParams });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
      return sendProblem(reply, 500, 'internal_error', `Internal error (request ${request.id})`);
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = (error.code && FASTIFY_CLIENT_CODES[error.code]) ?? (status === 429 ? 'rate_limited' : status === 404 ? 'not_found' : 'bad_request');
      return sendProblem(reply, status, code, capped(error.message || 'Bad request'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 500, 'internal_error', `Internal error (request ${request.id})`);
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, 'not_found', `No route for ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`));
}
