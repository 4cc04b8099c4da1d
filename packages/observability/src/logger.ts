import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactLogLine } from './log-redaction.ts';

export type { Logger };

/**
 * JSON logs with the service name on every line. Secrets are redacted here, once, on the finished
 * line: credential-shaped keys in camelCase or snake_case at any depth (`accessToken`,
 * `refresh_token`, `npsso`, `password`, `authorization`, …, inside errors and their causes too) and
 * bearer tokens, JWTs and URL passwords inside text — so a careless `log.info({ account })` or
 * `log.error({ err })` can never leak a platform token.
 */
export function createLogger(options: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: { streamWrite: redactLogLine },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
