import { APP_ERROR_CODES } from '@ach/platform-clients';
import { ERROR_CODE_DESCRIPTIONS } from '../catalog/error-code-descriptions.ts';
import { code, table, type SectionResult } from '../markdown.ts';
import type { OpenApiDocument } from '../scan/api-document.ts';
import { errorCodeSightings, type ErrorCodeContext } from '../scan/error-codes.ts';
import { apiRoutesOf, problemCodesOf } from './http-section.ts';

const CONTEXT_LABELS: Record<ErrorCodeContext, string> = {
  api: 'API',
  'monitor-http': 'monitor HTTP',
  run: 'run',
  platform: 'platform',
};
const CONTEXT_ORDER: ErrorCodeContext[] = ['api', 'run', 'platform', 'monitor-http'];

/** `document`: the API's OpenAPI document, whose documented problem responses add the statuses a code is answered with. */
export function errorsSection(document: OpenApiDocument): SectionResult {
  const problems: string[] = [];
  const byCode = new Map<string, { statuses: Set<number>; contexts: Set<ErrorCodeContext>; files: Set<string> }>();
  for (const s of errorCodeSightings()) {
    const entry = byCode.get(s.code) ?? { statuses: new Set(), contexts: new Set(), files: new Set() };
    if (s.status) entry.statuses.add(s.status);
    entry.contexts.add(s.context);
    entry.files.add(s.file);
    byCode.set(s.code, entry);
  }
  for (const { method, path, operation } of apiRoutesOf(document)) {
    for (const [status, codes] of problemCodesOf(operation)) {
      for (const documented of codes) {
        const entry = byCode.get(documented);
        if (!entry) {
          problems.push(`${method} ${path} documents ${status} \`${documented}\`, which no code raises (or scan/error-codes.ts does not know how it is written)`);
          continue;
        }
        entry.statuses.add(Number(status));
        entry.contexts.add('api');
      }
    }
  }
  const rows = [...byCode]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => {
      const description = ERROR_CODE_DESCRIPTIONS[name];
      if (!description) problems.push(`error code ${name} (in ${[...entry.files].join(', ')}) has no description in scripts/reference/catalog/error-code-descriptions.ts`);
      return [
        code(name),
        [...entry.statuses].sort().join(', ') || '—',
        CONTEXT_ORDER.filter((c) => entry.contexts.has(c)).map((c) => CONTEXT_LABELS[c]).join(', '),
        description ?? '**undescribed**',
      ];
    });
  for (const name of Object.keys(ERROR_CODE_DESCRIPTIONS)) if (!byCode.has(name)) problems.push(`error-code-descriptions.ts describes ${name}, which the code no longer raises`);

  const body = [
    'One list for every code, wherever it shows: **API** — the `code` of an `application/problem+json` answer (with',
    '`type` `https://achievement-sync.dev/problems/<code-with-dashes>`, `title`, `status`, `detail`; the statuses are the',
    'ones the code raises it with and the ones `/openapi.json` documents it under); **run** — a failed or delayed run\'s `sync_logs.error_code`, `GET /syncs` `errorCode`',
    'and the SSE `errorCode` (the message beside it is always our own words, never a platform\'s body);',
    '**platform** — a `PlatformError` code of the platform clients: a run fails with it, and a link (`PUT /accounts/…`,',
    'the Steam sign-in) answers with it; **monitor HTTP** — the monitor\'s own server.',
    '',
    'How the worker runner treats a platform outcome, by `PlatformError` kind (default code in brackets): ' +
      Object.entries(APP_ERROR_CODES)
        .map(([kind, c]) => `\`${kind}\` (${code(c)})`)
        .join(', ') +
      '. `auth` and `private` fail the run at once and flag the account `needs_attention`; `not_found`, `malformed` and',
    '`config` fail at once; `rate_limited` delays the job (not an attempt); `transient` is retried with jittered backoff',
    '(`SYNC_JOB_OPTIONS.attempts`). On a link, `auth` / `private` / `not_found` answer 422 with the code, `rate_limited`',
    '429 `platform_rate_limited`, `transient` 502 `platform_unavailable`, `malformed` 502, `config` 503. The `xbox_*` codes',
    'are XSTS refusals (kind `auth`).',
    '',
    table(['code', 'HTTP status', 'seen in', 'meaning'], rows),
  ].join('\n');
  return { section: { title: 'Error codes', body }, problems };
}
