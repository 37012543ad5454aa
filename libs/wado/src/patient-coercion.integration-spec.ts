// WADO-RS applying the patient's current record (patient.updated and patients.merged as the index applies them)
// to stored instances, in the feature's own process (embedded adapters): metadata and instances show the
// record, the originals stay byte for byte as stored, validators change with the record, and every response
// that replaced stored values is named in the access's audit record. End to end over HL7 (MLLP), QIDO-RS and
// Kafka: libs/hl7/src/hl7.integration-spec.ts.
import {
  generateUid,
  Part10Scanner,
  Tag,
  TransferSyntaxUid,
  writePart10,
  type DicomJsonDataset,
  type Part10Scan,
} from '@pacs/dicom';
import { mergePatients, updatePatient } from '@pacs/index';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { inflateRawSync } from 'node:zlib';
import { multipartParts } from '../test/multipart-parts';
import { syntheticDataset, syntheticInstance, syntheticPixels } from '../test/synthetic-instance';
import { startWadoTestApp, type WadoTestApp } from '../test/wado-test-app';
import { transcodedKey } from './derived-keys';
import { transcodeFrame, transcodingPixelModule } from './transcode-frame';

type Dataset = Record<string, { vr: string; Value?: unknown[] }>;
/** An audit record as the audit file has it (the parts the tests read). */
interface AuditLine {
  pacs: {
    route: string;
    coercion?: { patientRecordVersion: number; coerced: { tags: string[]; SOPInstanceUIDs: string[] }[] };
  };
  ParticipantObjectIdentification: unknown[];
}

const T = TransferSyntaxUid;
const asStored = { Accept: 'application/dicom; transfer-syntax=*' };
const allAsStored = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const pn = (name: string) => ({ vr: 'PN', Value: [{ Alphabetic: name }] });
const lo = (value: string) => ({ vr: 'LO', Value: [value] });

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scan(bytes: Buffer): Promise<Part10Scan> {
  const scanner = new Part10Scanner({ maxHeaderBytes: 16 << 20, bulkDataThreshold: 1024 });
  await pipeline(Readable.from([bytes]), scanner, async (source) => {
    for await (const _ of source) {
      // drain
    }
  });
  return scanner.result();
}

/** The bytes of the pixel data value (native) or of all fragments (encapsulated) of a file. */
function pixelBytes(file: Buffer, s: Part10Scan): Buffer {
  const p = s.pixelData!;
  if (!p.encapsulated) return file.subarray(p.offset, p.offset + p.length!);
  return Buffer.concat(p.fragments.map((r) => file.subarray(r.offset, r.offset + r.length)));
}

interface Stored {
  sop: string;
  bytes: Buffer;
  scan: Part10Scan;
  blobKey: string;
}

describe('WADO-RS applies the current patient record, originals untouched', () => {
  let dataDir: string;
  let auditPath: string;
  let t: WadoTestApp;
  const study = generateUid();
  const series = generateUid();
  const patientId = `COERCE-${Date.now()}`;
  const oldPatient: DicomJsonDataset = {
    [Tag.PatientName]: pn('Old^Name'),
    [Tag.PatientID]: lo(patientId),
    [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700101'] },
    [Tag.PatientSex]: { vr: 'CS', Value: ['M'] },
  };
  const stored: Stored[] = [];
  const seriesUrl = () => `${t.baseUrl}/studies/${study}/series/${series}`;
  const instanceUrl = (s: Stored) => `${seriesUrl()}/instances/${s.sop}`;
  let before: { instanceEtag: string; metadataEtag: string };

  const ingest = async (bytes: Buffer, sop: string): Promise<Stored> => {
    const { blobKey } = await t.ingest(bytes);
    return { sop, bytes, scan: await scan(bytes), blobKey };
  };
  const auditRecords = (): AuditLine[] =>
    readFileSync(auditPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
  const coercionsOf = (sop: string) =>
    auditRecords().filter((r) => r.pacs.coercion?.coerced.some((c) => c.SOPInstanceUIDs.includes(sop)));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wado-coercion-'));
    auditPath = join(dataDir, 'audit.log');
    t = await startWadoTestApp(dataDir, { PACS_AUDIT_LOG: auditPath });
    // Native (with a bulk value), Deflated, and encapsulated (JPEG-LS) originals of one series.
    const native = await syntheticInstance({
      study,
      series,
      instanceNumber: 1,
      frames: 2,
      withBulk: true,
      patient: oldPatient,
    });
    stored.push(await ingest(native.bytes, native.sop));
    const deflated = await syntheticInstance({
      study,
      series,
      instanceNumber: 2,
      transferSyntaxUid: T.DeflatedExplicitVRLittleEndian,
      patient: oldPatient,
    });
    stored.push(await ingest(deflated.bytes, deflated.sop));
    const sop = generateUid();
    const dataset = syntheticDataset({ study, series, sop, instanceNumber: 3, patient: oldPatient });
    const frame = await transcodeFrame(
      T.ExplicitVRLittleEndian,
      syntheticPixels(32, 32, 1),
      transcodingPixelModule(dataset)!,
      T.JPEGLSLossless,
    );
    const jpegLs = await buffer(
      writePart10({ dataset, transferSyntaxUid: T.JPEGLSLossless, pixelData: { fragments: [frame.bytes] } }),
    );
    stored.push(await ingest(jpegLs, sop));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends the stored bytes, bit for bit, while the record says what the instances say', async () => {
    for (const s of stored) {
      const res = await fetch(instanceUrl(s), { headers: asStored });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(s.bytes)).toBe(true);
      expect(res.headers.get('content-length')).toBe(String(s.bytes.length));
    }
    const instance = await fetch(instanceUrl(stored[0]!), { headers: asStored });
    await instance.arrayBuffer();
    const metadata = await fetch(`${seriesUrl()}/metadata`);
    const shown = (await metadata.json()) as Dataset[];
    expect(shown.map((d) => d[Tag.PatientName]!.Value)).toEqual(stored.map(() => [{ Alphabetic: 'Old^Name' }]));
    before = { instanceEtag: instance.headers.get('etag')!, metadataEtag: metadata.headers.get('etag')! };
    // A stored instance can change what is sent of it: clients revalidate.
    expect(instance.headers.get('cache-control')).toBe('private, no-cache');
  });

  it('shows the updated record in study, series and instance metadata, with new validators', async () => {
    expect(
      await updatePatient(t.db.sql, {
        partitionId: 1,
        patientId,
        issuer: '',
        occurredAt: Date.now(),
        module: { [Tag.PatientName]: pn('New^Name'), [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700102'] } },
      }),
    ).toEqual({ kind: 'applied', studies: 1 });
    const seriesMetadata = await fetch(`${seriesUrl()}/metadata`);
    const shown = (await seriesMetadata.json()) as Dataset[];
    for (const d of shown) {
      expect(d[Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'New^Name' }]);
      expect(d[Tag.PatientBirthDate]!.Value).toEqual(['19700102']);
      expect(d[Tag.PatientSex]!.Value).toEqual(['M']);
    }
    const etag = seriesMetadata.headers.get('etag')!;
    expect(etag).not.toBe(before.metadataEtag);
    expect((await fetch(`${seriesUrl()}/metadata`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const stale = await fetch(`${seriesUrl()}/metadata`, { headers: { 'If-None-Match': before.metadataEtag } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();

    const studyMetadata = (await (await fetch(`${t.baseUrl}/studies/${study}/metadata`)).json()) as Dataset[];
    expect(studyMetadata.map((d) => d[Tag.PatientName]!.Value![0])).toEqual(
      stored.map(() => ({ Alphabetic: 'New^Name' })),
    );
    const [one] = (await (await fetch(`${instanceUrl(stored[1]!)}/metadata`)).json()) as Dataset[];
    expect(one![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'New^Name' }]);
  });

  it('sends each instance with the record’s values and its pixel data and other attributes as stored', async () => {
    for (const s of stored) {
      const res = await fetch(instanceUrl(s), { headers: asStored });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBeNull();
      const body = Buffer.from(await res.arrayBuffer());
      const sent = await scan(body);
      expect(sent.transferSyntaxUid).toBe(s.scan.transferSyntaxUid);
      const expected = {
        ...s.scan.dataset,
        [Tag.PatientName]: pn('New^Name'),
        [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700102'] },
      };
      expect(sent.dataset).toEqual(expected);
      const original = pixelBytes(s.scan.deflated ? inflated(s.bytes) : s.bytes, s.scan);
      const now = pixelBytes(sent.deflated ? inflated(body) : body, sent);
      expect(now.equals(original)).toBe(true);

      const etag = res.headers.get('etag')!;
      expect(etag).not.toBe(before.instanceEtag);
      const again = await fetch(instanceUrl(s), { headers: { ...asStored, 'If-None-Match': etag } });
      expect(again.status).toBe(304);
    }
    // The instance not Deflated is the original with its Patient module elements replaced: what follows the
    // patient group (from Study Instance UID on, pixel data included) is the original's bytes.
    const native = stored[0]!;
    const sent = Buffer.from(await (await fetch(instanceUrl(native), { headers: asStored })).arrayBuffer());
    const studyUidAt = native.bytes.indexOf(Buffer.from([0x20, 0x00, 0x0d, 0x00, 0x55, 0x49]));
    const tail = native.bytes.length - studyUidAt;
    expect(sent.subarray(sent.length - tail).equals(native.bytes.subarray(studyUidAt))).toBe(true);
  });

  it('never changes the stored originals: their SHA-256 in the blob store is the one of the stored bytes', async () => {
    for (const s of stored) {
      const [row] = await t.db.sql.query<{ sha256: string }>('SELECT sha256 FROM instance WHERE sop_uid = $1', [s.sop]);
      const blob = await buffer(await t.blobs.get(s.blobKey));
      expect(sha256(blob)).toBe(sha256(s.bytes));
      expect(row!.sha256).toBe(sha256(s.bytes));
    }
  });

  it('applies the record to the whole series, and to a transcoding without changing the copy it keeps', async () => {
    const res = await fetch(seriesUrl(), { headers: allAsStored });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    const parts = multipartParts(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(parts).toHaveLength(3);
    for (const part of parts) expect((await scan(part)).dataset[Tag.PatientName]).toEqual(pn('New^Name'));

    const native = stored[0]!;
    const jpegLs = `multipart/related; type="application/dicom"; transfer-syntax=${T.JPEGLSLossless}`;
    const transcoded = await fetch(instanceUrl(native), { headers: { Accept: jpegLs } });
    const [part] = multipartParts(Buffer.from(await transcoded.arrayBuffer()), transcoded.headers.get('content-type')!);
    const sent = await scan(part!);
    expect(sent.transferSyntaxUid).toBe(T.JPEGLSLossless);
    expect(sent.dataset[Tag.PatientName]).toEqual(pn('New^Name'));
    const [row] = await t.db.sql.query<{ sha256: string }>('SELECT sha256 FROM instance WHERE sop_uid = $1', [
      native.sop,
    ]);
    const key = transcodedKey(
      { partitionId: 1, studyUid: study, seriesUid: series, sopUid: native.sop, sha256: row!.sha256 },
      T.JPEGLSLossless,
    );
    const kept = await until('the transcoded copy', async () => ((await t.blobs.head(key)) ? key : undefined));
    expect((await scan(await buffer(await t.blobs.get(kept)))).dataset[Tag.PatientName]).toEqual(pn('Old^Name'));
  });

  it('names every response that replaced stored values in its audit record: tags and record version, no values', async () => {
    // Written when each response ended, through an asynchronous file writer.
    const retrieve = await until('the audit record of the instance retrieve', () =>
      coercionsOf(stored[2]!.sop).find((r) => r.pacs.route.endsWith(':instance')),
    );
    expect(retrieve.pacs).toMatchObject({
      coercion: {
        patientRecordVersion: 2,
        coerced: [{ tags: [Tag.PatientName, Tag.PatientBirthDate], SOPInstanceUIDs: [stored[2]!.sop] }],
      },
    });
    expect(retrieve.ParticipantObjectIdentification).toContainEqual(
      expect.objectContaining({ ParticipantObjectTypeCodeRole: 1, ParticipantObjectID: patientId }),
    );
    const seriesMetadata = auditRecords().find((r) => r.pacs.route.endsWith(':series/metadata') && r.pacs.coercion)!;
    expect(seriesMetadata.pacs.coercion!.coerced[0]!.SOPInstanceUIDs.sort()).toEqual(stored.map((s) => s.sop).sort());
    // A response that sent the stored values (the first one, before the update) names no coercion; values
    // never reach the audit trail.
    const [first] = auditRecords();
    expect(first!.pacs.route.endsWith(':instance')).toBe(true);
    expect(first!.pacs.coercion).toBeUndefined();
    expect(readFileSync(auditPath, 'utf8')).not.toContain('New^Name');
  });

  it('writes a name outside the stored character set: by declaring UTF-8, or by re-encoding the instance', async () => {
    for (const [charset, name, recoded] of [
      [undefined, 'Müller^Jürgen', false],
      ['ISO_IR 100', 'Łukasz^Żaneta', true],
    ] as const) {
      const id = `CHARSET-${generateUid().slice(-8)}`;
      const patient: DicomJsonDataset = {
        ...(charset ? { [Tag.SpecificCharacterSet]: { vr: 'CS', Value: [charset] } } : {}),
        [Tag.PatientID]: lo(id),
        [Tag.PatientName]: pn('Plain^Name'),
      };
      const { bytes, sop } = await syntheticInstance({ study: generateUid(), series: generateUid(), patient });
      const s = await ingest(bytes, sop);
      await updatePatient(t.db.sql, {
        partitionId: 1,
        patientId: id,
        issuer: '',
        occurredAt: 1,
        module: { [Tag.PatientName]: pn(name) },
      });
      const studyUid = String(s.scan.dataset[Tag.StudyInstanceUID]!.Value![0]);
      const seriesUid = String(s.scan.dataset[Tag.SeriesInstanceUID]!.Value![0]);
      const body = Buffer.from(
        await (
          await fetch(`${t.baseUrl}/studies/${studyUid}/series/${seriesUid}/instances/${sop}`, { headers: asStored })
        ).arrayBuffer(),
      );
      const sent = await scan(body);
      expect(sent.dataset[Tag.PatientName]).toEqual(pn(name));
      expect(sent.dataset[Tag.SpecificCharacterSet]!.Value).toEqual(['ISO_IR 192']);
      expect(pixelBytes(body, sent).equals(pixelBytes(bytes, s.scan))).toBe(true);
      // Declaring UTF-8 replaces elements; re-encoding writes the data set again (a new group layout, so
      // the bytes before the pixel data are not the stored ones).
      const pixelTail = bytes.length - s.scan.pixelData!.offset + 12;
      expect(body.subarray(body.length - pixelTail).equals(bytes.subarray(bytes.length - pixelTail))).toBe(true);
      expect(sent.dataset[Tag.StudyInstanceUID]).toEqual(s.scan.dataset[Tag.StudyInstanceUID]);
      expect(recoded).toBe(charset !== undefined);
    }
  });

  it('gives a merged patient’s instances the surviving patient’s identifiers', async () => {
    const merged = `MERGED-${generateUid().slice(-8)}`;
    const { bytes, sop } = await syntheticInstance({
      study: generateUid(),
      series: generateUid(),
      patient: {
        [Tag.PatientID]: lo(merged),
        [Tag.IssuerOfPatientID]: lo('OLDHOSP'),
        [Tag.PatientName]: pn('Other^Spelling'),
      },
    });
    const s = await ingest(bytes, sop);
    await mergePatients(t.db.sql, {
      partitionId: 1,
      surviving: { patientId, issuer: '' },
      merged: { patientId: merged, issuer: 'OLDHOSP' },
      eventId: `merge-${merged}`,
    });
    const studyUid = String(s.scan.dataset[Tag.StudyInstanceUID]!.Value![0]);
    const [shown] = (await (await fetch(`${t.baseUrl}/studies/${studyUid}/metadata`)).json()) as Dataset[];
    expect(shown![Tag.PatientID]!.Value).toEqual([patientId]);
    expect(shown![Tag.IssuerOfPatientID]).toBeUndefined();
    expect(shown![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'New^Name' }]);
    const res = await fetch(`${t.baseUrl}/studies/${studyUid}`, { headers: allAsStored });
    const [part] = multipartParts(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    const sent = await scan(part!);
    expect(sent.dataset[Tag.PatientID]!.Value).toEqual([patientId]);
    expect(sent.dataset[Tag.IssuerOfPatientID]).toBeUndefined();
    expect(pixelBytes(part!, sent).equals(pixelBytes(bytes, s.scan))).toBe(true);
  });
});

/** A Deflated file with its data set inflated: the bytes its scan's offsets count. */
function inflated(file: Buffer): Buffer {
  const metaEnd = 144 + file.readUInt32LE(140);
  return Buffer.concat([file.subarray(0, metaEnd), inflateRawSync(file.subarray(metaEnd))]);
}
