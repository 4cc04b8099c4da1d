/**
 * A Postgres array literal (`{"a","b",NULL}`) built with one join, for `$n::text[]` parameters.
 * pg's own serializer concatenates element by element and escapes every element with two regex
 * replaces; for the tens of thousands of values one batch carries, that churned ~4× the bytes
 * written through the heap (measured with the sampling heap profiler in the full-sync bench).
 */
export function pgArrayLiteral(values: readonly (string | number | boolean | Date | null | undefined)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) parts[i] = 'NULL';
    else if (typeof value === 'number') parts[i] = Number.isFinite(value) ? String(value) : 'NULL';
    else if (typeof value === 'boolean') parts[i] = value ? 't' : 'f';
    else if (value instanceof Date) parts[i] = Number.isNaN(value.getTime()) ? 'NULL' : `"${value.toISOString()}"`;
    else parts[i] = NEEDS_ESCAPE.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
  }
  return `{${parts.join(',')}}`;
}

const NEEDS_ESCAPE = /[\\"]/;
