import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../problem.ts';
import { unstorableTextReason } from '../validation/storable-text.ts';

/** A key quoted in a parameter's name is the client's text too: keep it short and printable. */
const MAX_SEGMENT = 64;
const segment = (key: string) => {
  const printable = key.replace(/[\p{Cc}\p{Cs}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return printable.length > MAX_SEGMENT ? `${printable.slice(0, MAX_SEGMENT)}…` : printable;
};

/**
 * The first string (value or object key) inside `root` that Postgres cannot store, with its path
 * in the form the validation 400s use (`body.changes.0.name`). Iterative: a body may nest
 * thousands of levels deep within the size limit, deeper than the call stack.
 */
export function findUnstorableText(root: unknown, rootName: string): { name: string; reason: string } | undefined {
  const pending: [unknown, string][] = [[root, rootName]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, name] = next;
    if (typeof value === 'string') {
      const reason = unstorableTextReason(value);
      if (reason) return { name, reason };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${name}.${i}`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value).reverse()) {
        const keyReason = unstorableTextReason(key);
        if (keyReason) return { name: `${name}.${segment(key)}`, reason: `key ${keyReason}` };
        pending.push([child, `${name}.${segment(key)}`]);
      }
    }
  }
  return undefined;
}

/**
 * Every route, present and future: a NUL or a lone surrogate anywhere in the path, query, headers
 * or body is a 400 naming the parameter — never a query that Postgres refuses with a 500. Runs
 * before schema validation, so a route's schema need not remember it. Values are never echoed.
 */
export function installTextInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const found =
      findUnstorableText(request.params, 'params') ??
      findUnstorableText(request.query, 'querystring') ??
      findUnstorableText(request.headers, 'headers') ??
      findUnstorableText(request.body, 'body');
    if (!found) return;
    throw new ProblemError(400, 'validation_failed', `${found.name}: ${found.reason}`, { extra: { invalidParams: [{ name: found.name, reason: found.reason }] } });
  });
}
