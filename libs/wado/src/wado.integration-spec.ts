// The WADO-RS feature in its own process (embedded adapters): the derived objects it keeps in the blob store
// and how requests use them. The DICOMweb behaviour seen from clients is in conformance/dicomweb.suite.ts.
import { generateUid, Tag, TransferSyntaxUid } from '@pacs/dicom';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { startWadoTestApp, type WadoTestApp } from '../test/wado-test-app';
import { multipartParts as parts } from '../test/multipart-parts';
import { bulkValue, syntheticInstance } from '../test/synthetic-instance';
import { inflatedKey, seriesMetadataKey, seriesPrefix, transcodedKey } from './derived-keys';
import { parseMetadataDocument, serializeMetadataDocument } from './metadata-document';

type Dataset = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('WADO-RS derived objects', () => {
  let dataDir: string;
  let t: WadoTestApp;
  const study = generateUid();
  const series = generateUid();
  const ref = { partitionId: 1, studyUid: study, seriesUid: series };
  const seriesUrl = () => `${t.baseUrl}/studies/${study}/series/${series}`;
  const sops: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wado-feature-'));
    t = await startWadoTestApp(dataDir);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds the series metadata document once its instances are indexed', async () => {
    for (let n = 1; n <= 3; n++) {
      const { bytes, sop } = await syntheticInstance({ study, series, instanceNumber: n });
      sops.push(sop);
      await t.ingest(bytes);
    }
    const doc = await until('the series document', async () => {
      const listed = await t.blobs.head(seriesMetadataKey(ref));
      if (!listed) return undefined;
      const parsed = parseMetadataDocument(await text(await t.blobs.get(seriesMetadataKey(ref))));
      return parsed?.instances === 3 ? parsed : undefined;
    });
    const metadata = JSON.parse(doc.body) as Dataset[];
    expect(metadata.map((d) => d[Tag.SOPInstanceUID]!.Value![0])).toEqual(sops);
    expect(metadata[0]![Tag.PixelData]!.BulkDataURI).toBe(
      `studies/${study}/series/${series}/instances/${sops[0]}/bulkdata/7FE00010`,
    );
  });

  it('answers from the stored document, read once, in a process that never saw the series', async () => {
    const stored = parseMetadataDocument(await text(await t.blobs.get(seriesMetadataKey(ref))))!;
    // A marker only the stored document has: the answer must come from it, not from the index.
    const marked = { ...stored, body: stored.body.replace('"OT"', '"MARKED"') };
    await t.blobs.put(seriesMetadataKey(ref), Readable.from([Buffer.from(serializeMetadataDocument(marked))]));
    await t.close();
    t = await startWadoTestApp(dataDir);
    const response = await fetch(`${seriesUrl()}/metadata`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain('"MARKED"');
    expect(body).toContain(`"BulkDataURI":"${t.baseUrl}/studies/${study}/series/${series}/instances/`);
  }, 60_000);

  it('never serves a stale document: an instance indexed but not yet announced is in the answer', async () => {
    const { bytes, sop } = await syntheticInstance({ study, series, instanceNumber: 4 });
    await t.ingest(bytes, { announce: false });
    const metadata = (await (await fetch(`${seriesUrl()}/metadata`)).json()) as Dataset[];
    expect(metadata.map((d) => d[Tag.SOPInstanceUID]!.Value![0])).toEqual([...sops, sop]);
    expect(JSON.stringify(metadata)).not.toContain('MARKED');
    // ... and the request stored the document it had to build
    await until('the rebuilt document', async () => {
      const doc = parseMetadataDocument(await text(await t.blobs.get(seriesMetadataKey(ref))));
      return doc?.instances === 4 ? doc : undefined;
    });
    sops.push(sop);
  });

  it('keeps an instance transcoded frame by frame for the next request', async () => {
    const instanceUrl = `${seriesUrl()}/instances/${sops[0]}`;
    const accept = `multipart/related; type="application/dicom"; transfer-syntax=${TransferSyntaxUid.JPEGLSLossless}`;
    const first = await fetch(instanceUrl, { headers: { Accept: accept } });
    expect(first.status).toBe(200);
    const firstBody = Buffer.from(await first.arrayBuffer());
    const rows = await t.db.sql.query<{ sha256: string }>('SELECT sha256 FROM instance WHERE sop_uid = $1', [sops[0]]);
    const key = transcodedKey({ ...ref, sopUid: sops[0]!, sha256: rows[0]!.sha256 }, TransferSyntaxUid.JPEGLSLossless);
    const cached = await until('the transcoded copy', async () => ((await t.blobs.head(key)) ? key : undefined));
    const [part] = parts(firstBody, first.headers.get('content-type')!);
    expect((await buffer(await t.blobs.get(cached))).equals(part!)).toBe(true);
    const second = Buffer.from(await (await fetch(instanceUrl, { headers: { Accept: accept } })).arrayBuffer());
    expect(second.equals(firstBody)).toBe(true);
  });

  it('reads frames and bulk data of a Deflated instance from its inflated copy, made at ingest', async () => {
    const { bytes, sop, pixels } = await syntheticInstance({
      study,
      series,
      instanceNumber: 5,
      frames: 3,
      withBulk: true,
      transferSyntaxUid: TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
    });
    await t.ingest(bytes);
    const rows = await t.db.sql.query<{ sha256: string }>('SELECT sha256 FROM instance WHERE sop_uid = $1', [sop]);
    const key = inflatedKey({ ...ref, sopUid: sop, sha256: rows[0]!.sha256 });
    await until('the inflated copy', async () => ((await t.blobs.head(key)) ? key : undefined));
    const url = `${seriesUrl()}/instances/${sop}`;
    const frames = await fetch(`${url}/frames/3,1`, {
      headers: { Accept: 'multipart/related; type="application/octet-stream"' },
    });
    expect(frames.status).toBe(200);
    const [third, first] = parts(Buffer.from(await frames.arrayBuffer()), frames.headers.get('content-type')!);
    const frameBytes = 32 * 32 * 2;
    expect(first!.equals(pixels.subarray(0, frameBytes))).toBe(true);
    expect(third!.equals(pixels.subarray(2 * frameBytes))).toBe(true);
    const bulk = await fetch(`${url}/bulkdata/00282000`, {
      headers: { Accept: 'application/octet-stream', Range: 'bytes=10-19' },
    });
    expect(bulk.status).toBe(206);
    expect(Buffer.from(await bulk.arrayBuffer()).equals(bulkValue(3000).subarray(10, 20))).toBe(true);
    sops.push(sop);
  });

  it('removes the derived objects of a deleted instance', async () => {
    const prefix = `${seriesPrefix(ref)}instances/${sops[0]}/`;
    const before: string[] = [];
    for await (const { key } of t.blobs.list(prefix)) before.push(key);
    expect(before.length).toBeGreaterThan(0);
    await t.announceDeleted(study, series, sops[0]!);
    await until('the derived objects to go', async () => {
      for await (const _ of t.blobs.list(prefix)) return undefined;
      return true;
    });
  });

  it('answers HEAD with the headers of GET and no body, and keeps serving', async () => {
    for (const url of [`${seriesUrl()}/instances/${sops[1]}/frames/1`, `${seriesUrl()}/metadata`, seriesUrl()]) {
      const get = await fetch(url);
      const head = await fetch(url, { method: 'HEAD' });
      expect([url, head.status]).toEqual([url, 200]);
      expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      await get.arrayBuffer();
    }
    expect((await fetch(`${seriesUrl()}/metadata`)).status).toBe(200);
  });

  it('answers 404 for a series with no instance and 400 for a malformed UID', async () => {
    expect((await fetch(`${t.baseUrl}/studies/${study}/series/1.2.3.4.5/metadata`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/studies/${study}/series/1..2/metadata`)).status).toBe(400);
  });
});

describe('WADO-RS series retrieve cut short by the client', () => {
  let dataDir: string;
  let t: WadoTestApp;
  const study = generateUid();
  const series = generateUid();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wado-cut-'));
    t = await startWadoTestApp(dataDir);
    // Large enough that a part is still being sent when the client goes (each part is opened a few ahead).
    for (let n = 1; n <= 12; n++) {
      await t.ingest((await syntheticInstance({ study, series, instanceNumber: n, rows: 512, columns: 512 })).bytes);
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Files of the data folder this process holds open. */
  const openBlobs = (): string[] =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(dataDir) && !target.includes('/index') ? [target] : [];
      } catch {
        return [];
      }
    });

  it('releases the stored objects it had opened, the part being sent and those opened ahead, and keeps serving', async () => {
    const url = `${t.baseUrl}/studies/${study}/series/${series}`;
    const complete = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"' } });
    const whole = Buffer.from(await complete.arrayBuffer());
    expect(whole.length).toBeGreaterThan(12 * 512 * 512 * 2);

    const opened: number[] = [];
    for (let round = 0; round < 3; round++) {
      await new Promise<void>((resolve, reject) => {
        const req = httpGet(url, { headers: { Accept: 'multipart/related; type="application/dicom"' } }, (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', () => {
            opened.push(openBlobs().length);
            req.destroy(); // the client goes after the first bytes
            resolve();
          });
        });
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      });
      // Released at once, not when the garbage collector finds them.
      await until(
        'the opened objects to be released',
        async () => (openBlobs().length === 0 ? true : undefined),
        3_000,
      );
    }
    // While it was sent: the part being sent and a few opened ahead, never the whole series.
    expect(Math.max(...opened)).toBeLessThanOrEqual(6);
    const again = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"' } });
    expect(Buffer.from(await again.arrayBuffer()).equals(whole)).toBe(true);
  }, 60_000);
});
