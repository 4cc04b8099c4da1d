import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { optionalSecretOfAtLeast, trustedFetchUrl } from '@ach/config';
import { buildReference, REFERENCE_PATH } from '../build-reference.ts';
import { loadApiSurface } from '../scan/api-document.ts';
import { errorCodeSightings } from '../scan/error-codes.ts';
import { processEnvSchemas } from '../scan/process-env-schemas.ts';
import { REPO_ROOT } from '../scan/repo-files.ts';
import { envRuleOf } from '../scan/zod-env.ts';
import { apiRoutesOf } from '../sections/http-section.ts';

/**
 * docs/reference.md cannot drift from the code: it is regenerated here and compared, and everything
 * the code defines must have a description. When this fails, run `npm run docs:reference` (and add
 * the descriptions it asks for in scripts/reference/catalog/).
 */

const committed = () => readFileSync(join(REPO_ROOT, REFERENCE_PATH), 'utf8');

describe('docs/reference.md', () => {
  it('is exactly what npm run docs:reference generates from the code', async () => {
    const { markdown } = await buildReference();
    // A plain equality first: a long diff is unreadable, the first differing line is enough.
    const expected = markdown.split('\n');
    const actual = committed().split('\n');
    const first = expected.findIndex((line, i) => line !== actual[i]);
    const at = first === -1 ? Math.min(expected.length, actual.length) : first;
    expect(
      first === -1 && expected.length === actual.length
        ? 'up to date'
        : `line ${at + 1} differs (generated: ${JSON.stringify(expected[at]?.slice(0, 160))}, committed: ${JSON.stringify(actual[at]?.slice(0, 160))}): run npm run docs:reference`,
    ).toBe('up to date');
  });

  it('describes everything the code defines (no variable, route, key, table, function or code left undescribed)', async () => {
    const { problems } = await buildReference();
    expect(problems).toEqual([]);
  });

  it('names every variable a zod schema reads, every route and operationId of /openapi.json and every error code the code raises', async () => {
    const text = committed();
    const variables = new Set(processEnvSchemas().flatMap((p) => Object.keys(p.schema.shape)));
    const { document } = await loadApiSurface();
    const routes = apiRoutesOf(document);
    const codes = new Set(errorCodeSightings().map((s) => s.code));
    expect(variables.size).toBeGreaterThan(30);
    expect(routes.length).toBeGreaterThan(15);
    expect(codes.size).toBeGreaterThan(40);

    const missing = [
      ...[...variables].filter((name) => !text.includes(`| \`${name}\` |`)).map((name) => `variable ${name}`),
      ...routes.filter((r) => !text.includes(`${r.method} \`${r.path}\``)).map((r) => `route ${r.method} ${r.path}`),
      ...routes.filter((r) => !text.includes(`\`${r.operation.operationId}\``)).map((r) => `operationId ${r.operation.operationId}`),
      ...[...codes].filter((c) => !text.includes(`| \`${c}\` |`)).map((c) => `error code ${c}`),
    ];
    expect(missing).toEqual([]);
  });
});

describe('reading rules off a zod env schema', () => {
  it('shows a secret minimum, the https rule, a default, required-ness and integer bounds', () => {
    expect(envRuleOf(optionalSecretOfAtLeast(32))).toEqual({ required: false, constraints: ['≥ 32 characters'] });
    expect(envRuleOf(trustedFetchUrl().optional()).constraints).toEqual(['http(s) URL', 'must be https (http only for localhost / 127.0.0.1 / [::1])']);
    expect(envRuleOf(z.coerce.number().int().min(1).max(1_000).default(5))).toEqual({ required: false, defaultValue: '5', constraints: ['integer ≥ 1, ≤ 1000'] });
    expect(envRuleOf(z.string({ error: 'is required' }).min(1, 'is required')).required).toBe(true);
  });
});
