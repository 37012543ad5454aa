// Our MLLP server and client against implementations we did not write: python-hl7 (`hl7` on PyPI: its
// blocking client hl7.client.MLLPClient, its mllp_send command and its asyncio server hl7.mllp) and
// hl7apy (its MLLPServer and its strict v2.5.1 validation). Both are pinned in
// scripts/test-env/requirements.txt; python3 runs them on 127.0.0.1.
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fixture } from '../fixtures/fixture';
import { adtMerge } from './adt-merge';
import { adtToPatientUpdate } from './adt-to-patient-update';
import { type AckSpec } from './build-ack';
import { buildHl7 } from './build-hl7';
import { buildOruR01, type OruR01Input } from './build-oru-r01';
import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { type Hl7Message } from './hl7-message';
import { encodeMllpFrame } from './mllp-frame-reader';
import { MllpClient } from './mllp-client';
import { MllpServer } from './mllp-server';
import { orderToProcedureStep } from './order-to-procedure-step';

const pythonDir = join(__dirname, '../fixtures/python');
// Asynchronous: our server runs in this process and must keep serving while Python talks to it.
const run = promisify(execFile);

/** A Python receiver: its port and the JSON lines it prints per message. */
interface PythonServer {
  readonly port: number;
  readonly reports: Record<string, unknown>[];
  readonly child: ChildProcessWithoutNullStreams;
}

function startPython(script: string): Promise<PythonServer> {
  const child = spawn('python3', [join(pythonDir, script)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const reports: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const port = /^PORT (\d+)$/.exec(line);
      if (port) {
        clearTimeout(timer);
        resolve({ port: Number(port[1]), reports, child });
      } else reports.push(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const stop = (server: PythonServer | undefined): void => {
  if (server && server.child.exitCode === null) server.child.kill('SIGTERM');
};

/** The handler of the future HL7 service, reduced to our extraction helpers. */
function handler(message: Hl7Message): AckSpec {
  const { code, trigger } = message.messageType;
  if (code === 'ADT' && trigger === 'A40') adtMerge(message);
  else if (code === 'ADT') adtToPatientUpdate(message);
  else if (code === 'ORM' || code === 'OMI') orderToProcedureStep(message);
  else throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, `${code} is not handled`, { location: 'MSH-9' });
  return { code: 'AA' };
}

const oru = (controlId: string, extra: Partial<OruR01Input['report']> = {}): string =>
  buildOruR01({
    sendingApplication: 'PACS',
    sendingFacility: 'RADIOLOGY',
    receivingApplication: 'RIS',
    receivingFacility: 'HOSP',
    controlId,
    patient: { id: 'PAT001', issuer: 'HOSP', name: 'MÜLLER^HANS^^DR', birthDate: '19700101', sex: 'M' },
    order: {
      placerOrderNumber: 'PLC001',
      fillerOrderNumber: 'FIL001',
      accessionNumber: 'ACC0001',
      requestedProcedureId: 'RP0001',
      studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
      procedure: { code: 'RPID2', meaning: 'CT Head', scheme: 'RADLEX' },
      observationDateTime: '20240305083000',
    },
    report: {
      status: 'F',
      text: 'No acute findings.\nMidline | symmetric & normal ^ size.',
      impression: 'Normal.',
      ...extra,
    },
  });

describe('hl7v2 against python-hl7 and hl7apy', () => {
  beforeAll(() => {
    try {
      execFileSync('python3', ['-c', 'import hl7, hl7apy'], { stdio: 'pipe' });
    } catch (cause) {
      throw new Error('python3 with hl7 and hl7apy is needed: pip install -r scripts/test-env/requirements.txt', {
        cause,
      });
    }
  });

  describe('our MllpServer, driven by python-hl7 clients', () => {
    let server: MllpServer;
    let port: number;
    const received: string[] = [];

    beforeAll(async () => {
      server = new MllpServer({
        handler: (m) => {
          received.push(m.controlId);
          return handler(m);
        },
      });
      port = (await server.listen()).port;
    });
    afterAll(() => server.close(1000));

    async function send(messages: string[], encoding: string): Promise<Record<string, string>[]> {
      const child = execFile('python3', [join(pythonDir, 'hl7_client_send.py'), String(port), encoding], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      const output = new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout?.on('data', (d: string) => (out += d));
        child.stderr?.on('data', (d: string) => (err += d));
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
      });
      child.stdin?.end(messages.map((m) => m.split('\r').join('\n')).join('\n----\n'));
      return (await output)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, string>);
    }

    it('acknowledges ADT and OMI messages in UTF-8, and rejects bad ones, on one connection', async () => {
      const acks = await send(
        [
          fixture('adt-a01-v251.hl7'),
          fixture('adt-a08-v23.hl7'),
          fixture('adt-a40-v25.hl7'),
          fixture('omi-o23-rad4-v251.hl7'),
          'MSH|^~\\&|RIS|HOSP|PACS|RAD|2024||QRY^A19^QRY_A19|Q1|P|2.5.1\rQRD|1',
          'MSH|^~\\&|RIS|HOSP|PACS|RAD|2024||ADT^A08||P|2.5.1\rPID|||1',
          'MSH|^~\\&|RIS|HOSP|PACS|RAD|2024||ADT^A08^ADT_A01|NOPID|P|2.5.1\rEVN|A08',
          fixture('adt-a01-v251.hl7').replace('MSG00001', 'AFTER'),
        ],
        'utf-8',
      );
      expect(acks.map((a) => [a.msa1, a.msa2, a.err3])).toEqual([
        ['AA', 'MSG00001', ''],
        ['AA', '000001', ''],
        ['AA', '00000003', ''],
        ['AA', 'OMI0001', ''],
        ['AR', 'Q1', '200'],
        ['AR', '', '101'],
        ['AE', 'NOPID', '100'],
        ['AA', 'AFTER', ''],
      ]);
      expect(acks[0]).toMatchObject({ sendingApp: 'GHH LAB, INC.', version: '2.5.1' });
      expect(acks[1]).toMatchObject({ version: '2.3' });
    });

    it('acknowledges an ISO 8859-1 ORM^O01 sent in latin-1', async () => {
      const acks = await send([fixture('orm-o01-rad4-v231.hl7')], 'latin-1');
      expect(acks.map((a) => [a.msa1, a.msa2])).toEqual([['AA', 'ORM0001']]);
    });

    it("answers python-hl7's mllp_send command, several framed messages in one stream", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hl7v2-'));
      try {
        const file = join(dir, 'stream.hl7');
        const messages = ['S1', 'S2', 'S3'].map((id) => fixture('adt-a01-v251.hl7').replace('MSG00001', id));
        writeFileSync(file, Buffer.concat(messages.map((m) => encodeMllpFrame(Buffer.from(m)))));
        const { stdout: out } = await run(
          'python3',
          ['-c', 'from hl7.client import mllp_send; mllp_send()', '--file', file, '--port', String(port), '127.0.0.1'],
          { encoding: 'latin1', timeout: 30_000 },
        );
        expect(out.match(/MSA\|AA\|S\d/g)).toEqual(['MSA|AA|S1', 'MSA|AA|S2', 'MSA|AA|S3']);
        expect(readFileSync(file).length).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('our MllpClient, against Python receivers', () => {
    let hl7apy: PythonServer | undefined;
    let asyncio: PythonServer | undefined;
    afterAll(() => {
      stop(hl7apy);
      stop(asyncio);
    });

    it('delivers ORU^R01 reports to hl7apy, which validates them strictly, reconnecting after each ACK', async () => {
      hl7apy = await startPython('hl7apy_server.py');
      const client = new MllpClient({ host: '127.0.0.1', port: hl7apy.port, initialBackoffMs: 50 });
      try {
        for (const id of ['R1', 'R2', 'R3']) {
          const result = await client.send(oru(id));
          expect([result.code, result.ack.get('MSA-2'), result.ack.get('MSH-10')]).toEqual(['AA', id, `PY${id}`]);
        }
      } finally {
        await client.close();
      }
      expect(hl7apy.reports).toHaveLength(3);
      expect(hl7apy.reports[0]).toMatchObject({
        segments: ['MSH', 'PID', 'PV1', 'ORC', 'OBR', 'OBX', 'OBX', 'OBX', 'OBX'],
        controlId: 'R1',
        type: 'ORU^R01^ORU_R01',
        charset: 'UNICODE UTF-8',
        patientId: 'PAT001^^^HOSP^PI',
        patientName: 'MÜLLER^HANS^^^DR',
        accession: 'ACC0001',
        valid: true,
      });
      expect((hl7apy.reports[0]?.['obx5'] as string[])[0]).toBe('1.2.826.0.1.3680043.8.498.1');
    });

    it('delivers to the python-hl7 asyncio receiver over one connection; python-hl7 unescapes our text', async () => {
      asyncio = await startPython('hl7_asyncio_server.py');
      const client = new MllpClient({ host: '127.0.0.1', port: asyncio.port });
      try {
        const tx = await client.send(oru('A1'));
        const ft = await client.send(oru('A2', { format: 'FT', impression: undefined }));
        const adt = await client.send(
          buildHl7({
            header: { messageType: 'ADT^A08^ADT_A01', controlId: 'A3', charset: 'UNICODE UTF-8' },
            segments: [{ name: 'PID', fields: { 3: ['X1'], 5: ['DOE|ŁUKASZ', 'JAN'] } }],
          }),
        );
        expect([tx, ft, adt].map((r) => [r.code, r.ack.get('MSA-2'), r.attempts])).toEqual([
          ['AA', 'A1', 1],
          ['AA', 'A2', 1],
          ['AA', 'A3', 1],
        ]);
        expect(tx.ack.raw('MSH-9')).toBe('ACK^R01^ACK');
      } finally {
        await client.close();
      }
      const [tx, ft, adt] = asyncio.reports;
      expect(tx?.['text']).toEqual([
        '1.2.826.0.1.3680043.8.498.1',
        'No acute findings.',
        'Midline | symmetric & normal ^ size.',
        'Normal.',
      ]);
      // python-hl7 turns \.br\ into its own line break.
      expect((ft?.['text'] as string[])[1]).toMatch(/^No acute findings\.\s+Midline \| symmetric & normal \^ size\.$/);
      expect(adt?.['patientName']).toBe('DOE\\F\\ŁUKASZ^JAN');
    });
  });
});
