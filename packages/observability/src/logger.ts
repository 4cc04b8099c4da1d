import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * JSON logs with the service name on every line. Credential-shaped keys are redacted here, once,
 * so a careless `log.info({ account })` can never leak a platform token.
 */
export function createLogger(options: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'npsso',
        'refreshToken',
        'accessToken',
        'token',
        'credentials',
        'password',
        '*.npsso',
        '*.refreshToken',
        '*.accessToken',
        '*.token',
        '*.credentials',
        '*.password',
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-webhook-secret"]',
      ],
      censor: '[redacted]',
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
