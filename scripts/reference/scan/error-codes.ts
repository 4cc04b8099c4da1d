import { APP_ERROR_CODES, XSTS_ERROR_CODES } from '@ach/platform-clients';
import { productSourceFiles, readRepoFile } from './repo-files.ts';

/** Where a code is raised, in the terms of who sees it. */
export type ErrorCodeContext = 'api' | 'monitor-http' | 'run' | 'platform';

export interface ErrorCodeSighting {
  code: string;
  file: string;
  context: ErrorCodeContext;
  /** The HTTP status it is raised with, when the code says so. */
  status?: number;
}

const CODE = "'([a-z][a-z0-9_]*)'";

/**
 * The shapes an error code is written in. Each regex's groups are: an optional status (\d{3}),
 * then one or two codes. Kept explicit on purpose: a code written some new way is caught by the
 * reference test only once a pattern here knows the shape (add one).
 */
const PATTERNS: readonly RegExp[] = [
  // new ProblemError(404, 'not_found', …)
  new RegExp(`new ProblemError\\(\\s*(\\d{3}),\\s*${CODE}`, 'g'),
  // sendProblem(reply, 400, 'validation_failed', …) / problem(res, 405, 'method_not_allowed', …)
  new RegExp(`\\b(?:sendProblem|problem)\\(\\s*(?:reply|res),\\s*(\\d{3}),\\s*${CODE}`, 'g'),
  // new SyncJobError('sync_not_found', …)
  new RegExp(`\\bSyncJobError\\(\\s*${CODE}`, 'g'),
  // { code: 'profile_private' } (zod's issue code 'custom' is not ours)
  new RegExp(`\\bcode:\\s*(?!'custom')${CODE}`, 'g'),
  // code: reason === 'cancelled' ? 'openid_cancelled' : 'openid_assertion_invalid'
  new RegExp(`\\bcode:[^,\\n]*?\\?\\s*${CODE}\\s*:\\s*${CODE}`, 'g'),
  // SQL: error_code = 'queue_unavailable'
  new RegExp(`\\berror_code\\s*=\\s*${CODE}`, 'g'),
  // export const INVALID_STEAM_ID_CODE = 'invalid_steam_id' / OWNERSHIP_CLAIMED = 'ownership_claimed'
  new RegExp(`\\b[A-Z][A-Z0-9_]*(?:_CODE|_CLAIMED)\\s*=\\s*${CODE}`, 'g'),
  // Fastify's own errors: FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json' / === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long'
  new RegExp(`\\bFST_ERR_[A-Z_]+'?\\s*[:?]\\s*${CODE}`, 'g'),
];

function contextOf(file: string): ErrorCodeContext {
  if (file.startsWith('services/api/')) return 'api';
  if (file.startsWith('services/monitor/src/http/')) return 'monitor-http';
  if (file.startsWith('packages/platform-clients/') || file.startsWith('packages/platform-registry/')) return 'platform';
  return 'run';
}

/** The files whose codes reach a user or an operator (the sandbox only imitates platforms). */
function errorCodeSourceFiles(): string[] {
  return productSourceFiles().filter((f) => /^(packages|services)\/[^/]+\/src\//.test(f) && !f.startsWith('services/platform-sandbox/') && !f.startsWith('packages/testing/'));
}

/**
 * Every error code the code can give a client, a run or an operator: problem+json `code`s of the
 * API and the monitor, `sync_logs.error_code`s (SyncJobError, the runner's, the stuck-sync sweep's,
 * the accept path's SQL), and PlatformError codes (the kinds' defaults and the specific ones,
 * `xbox_*` XSTS refusals included).
 */
export function errorCodeSightings(): ErrorCodeSighting[] {
  const sightings: ErrorCodeSighting[] = [];
  for (const file of errorCodeSourceFiles()) {
    const text = readRepoFile(file);
    for (const pattern of PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        const groups = match.slice(1).filter((g): g is string => g !== undefined);
        const status = groups[0] && /^\d{3}$/.test(groups[0]) ? Number(groups.shift()) : undefined;
        for (const code of groups) sightings.push({ code, file, context: contextOf(file), ...(status ? { status } : {}) });
      }
    }
  }
  for (const code of Object.values(APP_ERROR_CODES)) sightings.push({ code, file: 'packages/platform-clients/src/platform-error.ts', context: 'platform' });
  for (const { code } of Object.values(XSTS_ERROR_CODES)) sightings.push({ code, file: 'packages/platform-clients/src/xbox/xsts-error-codes.ts', context: 'platform' });
  return sightings;
}
