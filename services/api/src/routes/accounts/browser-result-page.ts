import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody, type ProblemError } from '../../problem.ts';

/**
 * The answer of a route a browser lands on (the Steam sign-in callback, opened in the app's in-app
 * browser): a minimal HTML page by default, JSON / problem+json for a client that asks only for JSON.
 * Pages carry no script, style or external resource, so the API's `default-src 'none'` CSP stays.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, paragraphs: string[]): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    ...paragraphs.map((p) => `<p>${p}</p>`),
    '</body></html>',
  ].join('');
}

/** JSON only when the client lists a JSON type and not HTML (browsers always list text/html). */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = (request.headers.accept ?? '').toLowerCase();
  return /application\/(problem\+)?json/.test(accept) && !accept.includes('text/html');
}

export function sendPageSuccess(request: FastifyRequest, reply: FastifyReply, result: { title: string; message: string; json: unknown }): FastifyReply {
  if (wantsJson(request)) return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(result.json));
  return reply.code(200).type('text/html; charset=utf-8').send(page(result.title, [escapeHtml(result.message)]));
}

export function sendPageProblem(request: FastifyRequest, reply: FastifyReply, title: string, problem: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  reply.code(problem.status);
  if (wantsJson(request)) return reply.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemBody(problem.status, problem.code, problem.message, problem.extra)));
  return reply
    .type('text/html; charset=utf-8')
    .send(page(title, [escapeHtml(problem.message), `Error code: <code>${escapeHtml(problem.code)}</code>`]));
}
