import pino from 'pino';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dicomwebResourceOf } from '../dicomweb-resource';
import { buildAuditRecord } from './audit-record';
import { createAuditSink } from './audit-sink';

const record = buildAuditRecord({
  time: new Date(),
  service: 'qido',
  requestId: 'r-9',
  method: 'GET',
  resource: dicomwebResourceOf('GET', '/dicomweb/studies')!,
  query: 'PatientID=1',
  status: 200,
  aborted: false,
  clientAddress: '127.0.0.1',
});

describe('createAuditSink', () => {
  it('writes to the log stream marked "log":"audit", even when the log level would hide info lines', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const logger = pino({ level: 'warn', base: { service: 'qido' } }, stream);
    const sink = createAuditSink('stdout', logger, 'qido');
    logger.info('hidden');
    sink.write(record);
    await sink.close();
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ log: 'audit', service: 'qido', pacs: { requestId: 'r-9' } });
  });

  it('appends JSON lines to a file of its own', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pacs-audit-')), 'sub', 'audit.log');
    const sink = createAuditSink(path, pino({ level: 'silent' }), 'qido');
    sink.write(record);
    sink.write(record);
    await sink.close();
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ log: 'audit', service: 'qido', EventIdentification: { EventActionCode: 'E' } });
  });
});
