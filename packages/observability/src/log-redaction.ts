export const REDACTED = '[redacted]';

/**
 * Key names (lower-cased, `_` / `-` / spaces removed, so `access_token`, `accessToken` and
 * `Access-Token` are one name) whose values are never written. Suffixes, so `msaRefreshToken`,
 * `xsts_token`, `x-webhook-secret` and `STEAM_API_KEY` are covered too.
 */
const SECRET_KEY_SUFFIXES = [
  'token',
  'npsso',
  'password',
  'passwd',
  'secret',
  'authorization',
  'cookie',
  'credential',
  'credentials',
  'apikey',
  'privatekey',
  'encryptionkey',
  'oldkeys',
  'signature',
];

function isSecretKey(key: string): boolean {
  const name = key.toLowerCase().replace(/[-_\s]/g, '');
  return SECRET_KEY_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Secrets that travel inside text: error messages, URLs, request bodies quoted in a message. */
const SECRET_IN_TEXT: [RegExp, string][] = [
  [/\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, `$1 ${REDACTED}`],
  // A JWT: header.payload.signature, each base64url, header starting {" → eyJ.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // user:password@ in a URL.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"]*:)[^\s/@"]+@/gi, `$1${REDACTED}@`],
  // form / query parameters and JSON quoted in text: access_token=…, "npsso":"…" (not "bad token: …")
  [/\b((?:[a-z]+[_-]?)?(?:token|npsso|password|passwd|secret|code_verifier|api_?key))(=|["']\s*:\s*["']?)[^\s&"',;}]+/gi, `$1$2${REDACTED}`],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_IN_TEXT) out = out.replace(pattern, replacement);
  return out;
}

/** Cheap gate: a line without any of these cannot hold a secret we know how to find. */
const MAYBE_SECRET = /token|npsso|passw|secret|authoriz|cookie|credential|api[-_]?key|private[-_]?key|encryption[-_]?key|old[-_]?keys|signature|bearer|eyJ|:\/\/[^\s/"@]*:[^\s/"@]*@/i;

const MAX_DEPTH = 64;

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // Whole subtrees go (`credentials: {…}`); an empty or yes/no value says nothing and stays.
    const revealing = inner !== null && inner !== '' && typeof inner !== 'boolean';
    out[key] = revealing && isSecretKey(key) ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}

/**
 * Redacts one finished log line (pino's `hooks.streamWrite`). Working on the final JSON rather than
 * on the logged object means everything that reaches the line is covered — child bindings,
 * serializer output, an error's own properties and its `cause` text — at any depth, and the JSON
 * cannot be cyclic. Lines that mention nothing secret-looking (most of them) pass untouched.
 */
export function redactLogLine(line: string): string {
  if (!MAYBE_SECRET.test(line)) return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return redactText(line);
  }
  return `${JSON.stringify(redactValue(parsed, 0))}\n`;
}
