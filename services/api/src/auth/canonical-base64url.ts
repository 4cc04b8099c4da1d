const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * True when `segment` is the one base64url spelling of its bytes: no padding, no `+` `/`, and a
 * last character whose unused low bits are zero. Node's decoder accepts all of those and ignores
 * the spare bits, so without this check one signature has several spellings (a 43-character
 * HS256 signature four, an RS256 / ES256 one sixteen), i.e. one token several distinct strings.
 */
export function isCanonicalBase64url(segment: string): boolean {
  return BASE64URL.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}
