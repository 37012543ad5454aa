// The audit trail is not the ordinary log: it is written whatever the log level, and it names patients'
// studies and queries, so it goes where PACS_AUDIT_LOG says — stdout, as JSON lines marked "log":"audit" that a
// log shipper routes to a protected store, or a file of its own.
import pino, { type Logger } from 'pino';
import type { AuditRecord } from './audit-record';

export interface AuditSink {
  write(record: AuditRecord): void;
  /** Flushes what is buffered. */
  close(): Promise<void>;
}

/** The field that tells audit lines from ordinary log lines on a shared stream. */
export const auditMarker = { log: 'audit' } as const;

/**
 * 'stdout': records go through the process logger's stream (one writer per stream, so lines never interleave)
 * at their own level; any other value is a file path records are appended to.
 */
export function createAuditSink(target: string, logger: Logger, service: string): AuditSink {
  if (target === 'stdout') {
    const audit = logger.child(auditMarker, { level: 'info' });
    return { write: (record) => audit.info(record, 'audit'), close: async () => {} };
  }
  const destination = pino.destination({ dest: target, append: true, mkdir: true, sync: false });
  const audit = pino(
    { base: { service, ...auditMarker }, timestamp: pino.stdTimeFunctions.isoTime, level: 'info' },
    destination,
  );
  return {
    write: (record) => audit.info(record, 'audit'),
    close: () =>
      new Promise<void>((resolve) => {
        // end() flushes what is buffered (waiting for the file to open if it has not yet), then closes.
        destination.once('close', () => resolve());
        destination.once('error', () => resolve());
        destination.end();
      }),
  };
}
