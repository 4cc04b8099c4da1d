import type { z } from 'zod';

/** What one variable's zod schema accepts, in words an operator reads. */
export interface EnvRule {
  required: boolean;
  /** The default as it is written in the environment (a string), when there is one. */
  defaultValue?: string;
  /** e.g. `integer ≥ 1`, `≥ 32 characters`, `must be https (http only for …)`. */
  constraints: string[];
}

interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  innerType?: ZodLike;
  in?: ZodLike;
  out?: ZodLike;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  format?: string;
  protocol?: RegExp;
  coerce?: boolean;
  error?: (issue: never) => unknown;
}
interface CheckDef {
  check: string;
  format?: string;
  pattern?: RegExp;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  error?: (issue: never) => unknown;
}
interface ZodLike {
  _zod: { def: Def };
}

/** The message a check or schema was given (`.refine(fn, { message })`, `.regex(re, 'must…')`), if any. */
function messageOf(error: ((issue: never) => unknown) | undefined): string | undefined {
  if (!error) return undefined;
  try {
    const message = error({} as never);
    if (typeof message === 'string') return message;
    if (message && typeof message === 'object' && 'message' in message && typeof message.message === 'string') return message.message;
  } catch {
    // a message built from the issue: nothing static to show
  }
  return undefined;
}

/** `^https?$` → `http(s)`: the URL schemes a `z.url({ protocol })` accepts. */
function schemes(protocol: RegExp): string {
  return protocol.source.replace(/^\^/, '').replace(/\$$/, '').replace(/(\w)\?/g, '($1)');
}

function describeNumberBound(check: CheckDef, integer: boolean): string | undefined {
  if (check.value === undefined || !Number.isSafeInteger(check.value)) return undefined;
  if (check.check === 'greater_than') {
    if (integer && !check.inclusive) return `≥ ${check.value + 1}`;
    return `${check.inclusive ? '≥' : '>'} ${check.value}`;
  }
  if (check.check === 'less_than') return `${check.inclusive ? '≤' : '<'} ${check.value}`;
  return undefined;
}

/**
 * Reads a variable's rules off its zod schema (zod 4 definitions): whether it must be set, its
 * default, and every constraint with the message the process prints when it is broken. Messages
 * of refinements are shown as written; a refinement without a static message is left out.
 */
export function envRuleOf(schema: z.ZodType): EnvRule {
  const required = !schema.safeParse(undefined).success;
  let defaultValue: string | undefined;
  // The value's kind first (integer, URL, enum), then the rules with the words the process prints.
  const kinds: string[] = [];
  const rules: string[] = [];
  const addTo = (list: string[]) => (text: string | undefined) => {
    // "is required" is the Required column's business.
    if (text && !text.startsWith('is required') && !kinds.includes(text) && !rules.includes(text)) list.push(text);
  };
  const kind = addTo(kinds);
  const add = addTo(rules);

  const visit = (node: ZodLike): void => {
    const def = node._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'readonly':
        break;
      case 'default':
      case 'prefault':
        if (defaultValue === undefined) defaultValue = String(typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue);
        break;
      case 'enum':
        kind(`one of ${Object.values(def.entries ?? {}).map((v) => `\`${v}\``).join(', ')}`);
        break;
      case 'string':
        if (def.format === 'url') kind(def.protocol ? `${schemes(def.protocol)} URL` : 'URL');
        else if (def.format) kind(def.format);
        break;
      case 'number': {
        const integer = (def.checks ?? []).some((c) => c._zod.def.check === 'number_format' && c._zod.def.format === 'safeint');
        const bounds = (def.checks ?? []).map((c) => describeNumberBound(c._zod.def, integer)).filter((b): b is string => b !== undefined);
        kind(`${integer ? 'integer' : 'number'}${bounds.length ? ` ${bounds.join(', ')}` : ''}`);
        break;
      }
      default:
        break;
    }
    for (const check of def.checks ?? []) {
      const c = check._zod.def;
      const message = messageOf(c.error);
      if (c.check === 'min_length' && c.minimum !== undefined) {
        add(c.minimum === 1 ? 'not empty' : `≥ ${c.minimum} characters`);
      } else if (c.check === 'max_length' && c.maximum !== undefined) {
        add(`≤ ${c.maximum} characters`);
      } else if (c.check === 'string_format' && c.format === 'regex') {
        add(message ?? (c.pattern ? `matches \`${c.pattern.source}\`` : undefined));
      } else if (c.check === 'custom') {
        add(message);
      }
    }
    for (const child of [def.innerType, def.in, def.out]) if (child) visit(child);
  };
  visit(schema as unknown as ZodLike);
  return { required, ...(defaultValue !== undefined ? { defaultValue } : {}), constraints: [...kinds, ...rules] };
}

/** One variable as one process reads it. */
export interface EnvRead {
  name: string;
  process: string;
  rule: EnvRule;
}

/** Every variable of an object schema, in the schema's order. */
export function envReadsOf(process: string, schema: z.ZodObject): EnvRead[] {
  return Object.entries(schema.shape).map(([name, field]) => ({ name, process, rule: envRuleOf(field as z.ZodType) }));
}
