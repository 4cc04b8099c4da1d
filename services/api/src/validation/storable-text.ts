import { z } from 'zod';

/**
 * Why Postgres could not store this string as `text`/`jsonb`, or undefined when it can. A NUL is
 * refused by text ("invalid byte sequence 0x00") and jsonb ("unsupported Unicode escape"); a lone
 * UTF-16 surrogate is refused by jsonb and silently mangled into U+FFFD by text parameters. Either
 * way it is a client error, found before the query rather than by it.
 */
export function unstorableTextReason(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (!value.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** A zod string Postgres can store: for values the text-input guard does not see (e.g. inside a cursor). */
export const storableString = () =>
  z.string().check((ctx) => {
    const reason = unstorableTextReason(ctx.value);
    if (reason) ctx.issues.push({ code: 'custom', message: reason, input: ctx.value });
  });
