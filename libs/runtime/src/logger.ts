import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout. What we log is chosen so that no PHI and no secret reaches a log line:
 * request lines carry the route template (never the URL, whose path and query hold UIDs and patient
 * names), and the redact list blanks the fields that could carry credentials. `destination` replaces stdout
 * (tests read what would have been logged).
 */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.cookie', '*.password', '*.secret', 'headers.authorization'],
      censor: '<redacted>',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
