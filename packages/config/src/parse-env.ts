import type { z } from 'zod';

export class ConfigError extends Error {
  readonly variables: string[];
  constructor(variables: string[], message: string) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/**
 * Parses the process environment once, at start-up. The error names every bad variable so an
 * operator can fix a deployment from the first log line instead of from a stack trace.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    return { variable, message: `${variable}: ${issue.message}` };
  });
  const variables = [...new Set(problems.map((p) => p.variable))];
  throw new ConfigError(variables, `Invalid environment: ${problems.map((p) => p.message).join('; ')}`);
}

/** For entry points: parse or print the problem and exit, never start half-configured. */
export function parseEnvOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
