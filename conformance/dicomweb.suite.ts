// The DICOMweb behaviour every deployment must show — the embedded process and the cluster behind its
// gateway run this same suite. Cases cite the section of PS3.18 they check; independent clients
// (dicomweb-client from PyPI and from npm) check the same server from outside our code.
import { Tag, TransferSyntaxUid } from '@pacs/dicom';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCtSeries, makeDicomCorpus, sha256, type GeneratedInstance } from './support/fixtures';
import { get, splitMultipart, stow, stowContentType } from './support/http';
import {
  losslessSources,
  losslessTargets,
  nativeFile,
  newUid,
  sameLengthUid,
  syntheticImages,
  withSopUid,
  type SyntheticImage,
} from './support/transcoding';

export interface DicomwebTarget {
  /** The DICOMweb root, e.g. http://127.0.0.1:8080/dicomweb */
  baseUrl: string;
  /** The server's root, for /healthz */
  rootUrl: string;
  /** Every blob key of the deployment's object storage (to prove failures leave nothing behind). */
  listBlobs(): Promise<string[]>;
  close(): Promise<void>;
}

const run = promisify(execFile);
type Dataset = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
const value = (ds: Dataset, tag: string) => ds[tag]?.Value?.[0];
const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as Dataset[];

export function describeDicomwebConformance(name: string, start: () => Promise<DicomwebTarget>): void {
  describe(`DICOMweb conformance: ${name}`, () => {
    let target: DicomwebTarget;
    let series: GeneratedInstance[];
    let base: string;
    const patientId = `CONF-${process.pid}-${Date.now()}`;

    beforeAll(async () => {
      target = await start();
      base = target.baseUrl;
      series = makeCtSeries({ count: 4, 'patient-id': patientId, 'patient-name': 'Müller^Jürgen' });
    });
    afterAll(async () => {
      await target?.close();
    });

    const instanceUrl = (i: GeneratedInstance) => `${base}/studies/${i.study}/series/${i.series}/instances/${i.sop}`;

    describe('STOW-RS (PS3.18 §10.5)', () => {
      it('stores a series and answers 200 with a Retrieve URL for every instance', async () => {
        const response = await stow(`${base}/studies`, series);
        expect(response.status).toBe(200);
        const referenced = response.body[Tag.ReferencedSOPSequence]!.Value as Dataset[];
        expect(referenced.map((r) => value(r, Tag.ReferencedSOPInstanceUID)).sort()).toEqual(
          series.map((i) => i.sop).sort(),
        );
        for (const item of referenced) {
          expect(String(value(item, Tag.RetrieveURL))).toMatch(/^http:\/\/.+\/studies\/.+\/series\/.+\/instances\/.+$/);
        }
        expect(response.body[Tag.FailedSOPSequence]).toBeUndefined();
      });

      it('is idempotent: storing the same instances again answers 200 and indexes nothing twice', async () => {
        const again = await stow(`${base}/studies/${series[0]!.study}`, series);
        expect(again.status).toBe(200);
        const studies = json((await get(`${base}/studies?PatientID=${patientId}`)).body);
        expect(value(studies[0]!, Tag.NumberOfStudyRelatedInstances)).toBe(series.length);
      });

      it('makes what it stored searchable before it answers (read-your-writes)', async () => {
        const [one] = makeCtSeries({ count: 1, 'patient-id': `${patientId}-ryw` });
        expect((await stow(`${base}/studies`, [one!])).status).toBe(200);
        const found = json((await get(`${base}/instances?SOPInstanceUID=${one!.sop}`)).body);
        expect(found).toHaveLength(1);
      });

      it('fails an instance whose study differs from the URL with 409 and reason A900', async () => {
        const [other] = makeCtSeries({ count: 1, 'patient-id': `${patientId}-other` });
        const response = await stow(`${base}/studies/${series[0]!.study}`, [other!]);
        expect(response.status).toBe(409);
        const failed = response.body[Tag.FailedSOPSequence]!.Value as Dataset[];
        expect(value(failed[0]!, Tag.FailureReason)).toBe(0xa900);
        expect(json((await get(`${base}/instances?SOPInstanceUID=${other!.sop}`)).body)).toHaveLength(0);
      });

      it('keeps the good instances of a request and fails the bad part (202)', async () => {
        const [good] = makeCtSeries({ count: 1, 'patient-id': `${patientId}-mixed` });
        const response = await stow(`${base}/studies`, [good!, { bytes: Buffer.from('not a DICOM file at all') }]);
        expect(response.status).toBe(202);
        expect(
          (response.body[Tag.FailedSOPSequence]!.Value as Dataset[]).map((f) => value(f, Tag.FailureReason)),
        ).toEqual([0xc000]);
        expect(json((await get(`${base}/instances?SOPInstanceUID=${good!.sop}`)).body)).toHaveLength(1);
      });

      it('refuses a different instance under a stored SOP Instance UID (0111) and keeps the first', async () => {
        const [first] = makeCtSeries({ count: 1, 'patient-id': `${patientId}-dup` });
        expect((await stow(`${base}/studies`, [first!])).status).toBe(200);
        const bytes = readFileSync(first!.path);
        bytes[bytes.length - 1] ^= 0xff; // same UIDs, other pixels
        const response = await stow(`${base}/studies`, [{ bytes }]);
        expect(response.status).toBe(409);
        expect(value((response.body[Tag.FailedSOPSequence]!.Value as Dataset[])[0]!, Tag.FailureReason)).toBe(0x0111);
        const retrieved = await get(`${instanceUrl(first!)}`, 'application/dicom; transfer-syntax=*');
        expect(sha256(retrieved.body)).toBe(first!.sha256);
      });

      describe('bad input gets a 4xx with a reason, leaves nothing behind, and the server keeps serving', () => {
        const cases: [string, () => Promise<{ status: number; headers: Headers }>, number][] = [
          ['a body that is not multipart', () => stow(`${base}/studies`, [], 'application/dicom'), 415],
          ['no boundary', () => stow(`${base}/studies`, [], 'multipart/related; type="application/dicom"'), 400],
          ['an empty multipart body', () => stow(`${base}/studies`, []), 400],
          ['a part that is not DICOM', () => stow(`${base}/studies`, [{ bytes: Buffer.from('garbage') }]), 409],
          [
            'a part of another media type',
            () => stow(`${base}/studies`, [{ bytes: Buffer.from('{}'), contentType: 'application/json' }]),
            409,
          ],
          [
            'a truncated DICOM file',
            () => stow(`${base}/studies`, [{ bytes: readFileSync(series[0]!.path).subarray(0, 300) }]),
            409,
          ],
          ['an invalid study UID in the URL', () => stow(`${base}/studies/not..a.uid`, series.slice(0, 1)), 409],
          [
            'a part header block larger than the limit',
            async () => {
              const response = await fetch(`${base}/studies`, {
                method: 'POST',
                headers: { 'Content-Type': stowContentType },
                body: `--conformance-boundary-7d1a9\r\nContent-Type: application/dicom\r\nX-Padding: ${'x'.repeat(64 * 1024)}\r\n\r\nDICM\r\n--conformance-boundary-7d1a9--\r\n`,
              });
              return { status: response.status, headers: response.headers };
            },
            413,
          ],
          [
            'a body cut before its closing boundary',
            async () => {
              const response = await fetch(`${base}/studies`, {
                method: 'POST',
                headers: { 'Content-Type': stowContentType },
                body: Buffer.concat([
                  Buffer.from('--conformance-boundary-7d1a9\r\nContent-Type: application/dicom\r\n\r\n'),
                  readFileSync(series[0]!.path),
                ]),
              });
              return { status: response.status, headers: response.headers };
            },
            400,
          ],
        ];
        it.each(cases)('%s', async (_label, request, status) => {
          const response = await request();
          expect(response.status).toBe(status);
          expect(response.headers.get('warning') ?? '').toMatch(/^299 /);
          expect((await fetch(`${target.rootUrl}/healthz`)).status).toBe(200);
        });
      });
    });

    describe('QIDO-RS (PS3.18 §10.6)', () => {
      it('finds the study by PatientID with the required attributes and counts', async () => {
        const response = await get(`${base}/studies?PatientID=${patientId}`, 'application/dicom+json');
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
        const [study] = json(response.body);
        expect(value(study!, Tag.StudyInstanceUID)).toBe(series[0]!.study);
        expect(value(study!, Tag.NumberOfStudyRelatedSeries)).toBe(1);
        expect(value(study!, Tag.ModalitiesInStudy)).toBe('CT');
        expect(value(study!, Tag.PatientName)).toEqual({ Alphabetic: 'Müller^Jürgen' });
        expect(String(value(study!, Tag.RetrieveURL))).toBe(`${base}/studies/${series[0]!.study}`);
      });

      it('matches names case- and accent-insensitively with wildcards, and by hex tag', async () => {
        const byName = json((await get(`${base}/studies?PatientName=muller*&00100020=${patientId}`)).body);
        expect(byName).toHaveLength(1);
      });

      it('matches a date range and a list of UIDs', async () => {
        expect(
          json((await get(`${base}/studies?PatientID=${patientId}&StudyDate=20240301-20240331`)).body),
        ).toHaveLength(1);
        expect(json((await get(`${base}/studies?PatientID=${patientId}&StudyDate=20240401-`)).body)).toHaveLength(0);
        const list = `${series[0]!.study},1.2.3.4`;
        expect(json((await get(`${base}/studies?StudyInstanceUID=${list}`)).body)).toHaveLength(1);
      });

      it('searches series and instances under a study and at the root', async () => {
        const inStudy = json((await get(`${base}/studies/${series[0]!.study}/series`)).body);
        expect(inStudy.map((s) => value(s, Tag.SeriesInstanceUID))).toEqual([series[0]!.series]);
        const instances = json(
          (await get(`${base}/studies/${series[0]!.study}/series/${series[0]!.series}/instances`)).body,
        );
        expect(instances.map((i) => value(i, Tag.SOPInstanceUID)).sort()).toEqual(series.map((i) => i.sop).sort());
        const atRoot = json((await get(`${base}/series?PatientID=${patientId}&Modality=CT`)).body);
        expect(atRoot).toHaveLength(1);
        expect(value(atRoot[0]!, Tag.PatientID)).toBe(patientId);
      });

      it('returns includefield attributes and all of them with includefield=all', async () => {
        const [some] = json(
          (await get(`${base}/studies?PatientID=${patientId}&includefield=StudyDescription,00100030`)).body,
        );
        expect(value(some!, Tag.StudyDescription)).toBe('Conformance study');
        expect(value(some!, Tag.PatientBirthDate)).toBe('19800101');
        const [all] = json((await get(`${base}/studies?PatientID=${patientId}&includefield=all`)).body);
        expect(value(all!, Tag.ReferringPhysicianName)).toEqual({ Alphabetic: 'Referrer^Rita' });
      });

      it('pages with limit and offset and warns when results are cut', async () => {
        const first = await get(
          `${base}/studies/${series[0]!.study}/series/${series[0]!.series}/instances?limit=2&offset=0`,
        );
        expect(json(first.body)).toHaveLength(2);
        expect(first.headers.get('warning')).toMatch(/^299 /);
        const last = await get(
          `${base}/studies/${series[0]!.study}/series/${series[0]!.series}/instances?limit=2&offset=2`,
        );
        expect(json(last.body)).toHaveLength(2);
      });

      it.each([
        ['an unknown attribute', 'NotAKeyword=1'],
        ['a bad date', 'StudyDate=2024-13-45'],
        ['a negative limit', 'limit=-1'],
        ['a limit that is not a number', 'limit=ten'],
        ['an absurdly long value', `PatientID=${'x'.repeat(10_000)}`],
        ['an attribute the index cannot match', 'PatientComments=x'],
      ])('answers 400 with a reason for %s', async (_label, query) => {
        const response = await get(`${base}/studies?${query}`);
        expect(response.status).toBe(400);
        expect(response.headers.get('warning') ?? '').toMatch(/^299 /);
      });

      it('answers 406 when no acceptable media type can be returned', async () => {
        expect((await get(`${base}/studies`, 'multipart/related; type="application/dicom+xml"')).status).toBe(406);
      });
    });

    describe('WADO-RS (PS3.18 §10.4)', () => {
      it('retrieves an instance bit for bit', async () => {
        const response = await get(
          instanceUrl(series[0]!),
          'multipart/related; type="application/dicom"; transfer-syntax=*',
        );
        expect(response.status).toBe(200);
        const parts = splitMultipart(response.body, response.headers.get('content-type')!);
        expect(parts).toHaveLength(1);
        expect(sha256(parts[0]!.body)).toBe(series[0]!.sha256);
      });

      it('retrieves a series and a study as multipart/related of the originals', async () => {
        for (const url of [
          `${base}/studies/${series[0]!.study}/series/${series[0]!.series}`,
          `${base}/studies/${series[0]!.study}`,
        ]) {
          const response = await get(url, 'multipart/related; type="application/dicom"; transfer-syntax=*');
          const parts = splitMultipart(response.body, response.headers.get('content-type')!);
          expect(parts.map((p) => sha256(p.body)).sort()).toEqual(series.map((i) => i.sha256).sort());
          expect(parts[0]!.headers['content-type']).toMatch(
            /^application\/dicom; transfer-syntax=1\.2\.840\.10008\.1\.2\.1/,
          );
        }
      });

      it('answers metadata at every level with absolute, retrievable BulkDataURIs', async () => {
        const study = json((await get(`${base}/studies/${series[0]!.study}/metadata`, 'application/dicom+json')).body);
        expect(study).toHaveLength(series.length);
        const instance = json((await get(`${instanceUrl(series[0]!)}/metadata`)).body);
        expect(instance).toHaveLength(1);
        const pixelData = instance[0]![Tag.PixelData]!;
        expect(pixelData.BulkDataURI).toMatch(/^http:\/\/.+\/bulkdata\/7FE00010$/);
        const bulk = await get(pixelData.BulkDataURI!, 'multipart/related; type="application/octet-stream"');
        expect(bulk.status).toBe(200);
        const [part] = splitMultipart(bulk.body, bulk.headers.get('content-type')!);
        const frame = await get(
          `${instanceUrl(series[0]!)}/frames/1`,
          'multipart/related; type="application/octet-stream"',
        );
        expect(sha256(part!.body)).toBe(
          sha256(splitMultipart(frame.body, frame.headers.get('content-type')!)[0]!.body),
        );
      });

      it('answers 404 for what is not there and 400 for malformed paths', async () => {
        expect((await get(`${base}/studies/1.2.3.999999/metadata`)).status).toBe(404);
        expect((await get(`${instanceUrl(series[0]!)}/frames/2`)).status).toBe(404);
        expect((await get(`${instanceUrl(series[0]!)}/frames/0`)).status).toBe(400);
        expect((await get(`${base}/studies/abc/metadata`)).status).toBe(400);
      });

      it('round-trips a varied corpus bit for bit, with frames by byte range (Deflated ones too)', async () => {
        const dir = makeDicomCorpus();
        const files = readdirSync(dir).filter((f) => f.endsWith('.dcm'));
        for (const file of files) {
          const bytes = readFileSync(join(dir, file));
          const response = await stow(`${base}/studies`, [{ bytes }]);
          expect([200, 409]).toContain(response.status);
          if (response.status !== 200) continue; // corpus files that share UIDs with an earlier one
          const item = (response.body[Tag.ReferencedSOPSequence]!.Value as Dataset[])[0]!;
          const url = String(value(item, Tag.RetrieveURL));
          const retrieved = await get(url, 'multipart/related; type="application/dicom"; transfer-syntax=*');
          expect(sha256(splitMultipart(retrieved.body, retrieved.headers.get('content-type')!)[0]!.body)).toBe(
            sha256(bytes),
          );
          let expected: string[] | undefined;
          try {
            expected = JSON.parse(readFileSync(join(dir, file.replace(/\.dcm$/, '.frames.json')), 'utf8')) as string[];
          } catch {
            expected = undefined;
          }
          if (!expected || expected.length === 0) continue;
          const list = expected.map((_, n) => n + 1).join(',');
          const frames = await get(
            `${url}/frames/${list}`,
            'multipart/related; type="application/octet-stream"; transfer-syntax=*',
          );
          expect([file, frames.status]).toEqual([file, 200]);
          const parts = splitMultipart(frames.body, frames.headers.get('content-type')!);
          expect(parts.map((p) => sha256(p.body))).toEqual(expected);
        }
      });
    });

    describe('WADO-RS caching, ranges and content coding (PS3.18 §8.7, RFC 9110)', () => {
      it('answers metadata with gzip or br when asked, and 304 to its ETag', async () => {
        const url = `${base}/studies/${series[0]!.study}/series/${series[0]!.series}/metadata`;
        const plain = await get(url, 'application/dicom+json');
        expect(plain.headers.get('etag')).toMatch(/^"/);
        expect(plain.headers.get('cache-control')).toMatch(/no-cache/);
        expect(plain.headers.get('vary')).toMatch(/Accept-Encoding/);
        for (const coding of ['gzip', 'br']) {
          const response = await fetch(url, { headers: { 'Accept-Encoding': coding } });
          expect(response.headers.get('content-encoding')).toBe(coding);
          // fetch decodes the body: the same JSON as the plain answer
          expect(Buffer.from(await response.arrayBuffer()).equals(plain.body)).toBe(true);
        }
        const again = await get(url, 'application/dicom+json', { 'If-None-Match': plain.headers.get('etag')! });
        expect(again.status).toBe(304);
        expect(again.body).toHaveLength(0);
      });

      it('gives metadata that includes an instance stored a moment before (never stale)', async () => {
        const [first] = makeCtSeries({ count: 1, 'patient-id': `${patientId}-fresh` });
        expect((await stow(`${base}/studies`, [first!])).status).toBe(200);
        const url = `${base}/studies/${first!.study}/series/${first!.series}/metadata`;
        const before = await get(url);
        expect(json(before.body)).toHaveLength(1);
        const [second] = makeCtSeries({
          count: 1,
          'patient-id': `${patientId}-fresh`,
          study: first!.study,
          series: first!.series,
        });
        expect((await stow(`${base}/studies`, [second!])).status).toBe(200);
        const after = await get(url, 'application/dicom+json', { 'If-None-Match': before.headers.get('etag')! });
        expect(after.status).toBe(200);
        expect(
          json(after.body)
            .map((i) => value(i, Tag.SOPInstanceUID))
            .sort(),
        ).toEqual([first!.sop, second!.sop].sort());
        const study = json((await get(`${base}/studies/${first!.study}/metadata`)).body);
        expect(study).toHaveLength(2);
      });

      it('marks frames immutable and answers 304 to their ETag', async () => {
        const url = `${instanceUrl(series[0]!)}/frames/1`;
        const first = await get(url, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
        expect(first.headers.get('cache-control')).toMatch(/immutable/);
        const second = await get(url, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
        expect(second.body.equals(first.body)).toBe(true); // same bytes, boundary included
        const again = await get(url, 'multipart/related; type="application/octet-stream"; transfer-syntax=*', {
          'If-None-Match': first.headers.get('etag')!,
        });
        expect(again.status).toBe(304);
      });

      it('answers a byte range of bulk data with 206 and Content-Range, and 416 past the end', async () => {
        const [metadata] = json((await get(`${instanceUrl(series[0]!)}/metadata`)).body);
        const uri = metadata![Tag.PixelData]!.BulkDataURI!;
        const whole = await get(uri, 'application/octet-stream');
        expect(whole.status).toBe(200);
        expect(whole.headers.get('accept-ranges')).toBe('bytes');
        const part = await get(uri, 'application/octet-stream', { Range: 'bytes=100-199' });
        expect(part.status).toBe(206);
        expect(part.headers.get('content-range')).toBe(`bytes 100-199/${whole.body.length}`);
        expect(part.body.equals(whole.body.subarray(100, 200))).toBe(true);
        const suffix = await get(uri, 'multipart/related; type="application/octet-stream"', { Range: 'bytes=-10' });
        expect(suffix.status).toBe(206);
        const [only] = splitMultipart(suffix.body, suffix.headers.get('content-type')!);
        expect(only!.headers['content-range']).toBe(
          `bytes ${whole.body.length - 10}-${whole.body.length - 1}/${whole.body.length}`,
        );
        expect(only!.body.equals(whole.body.subarray(whole.body.length - 10))).toBe(true);
        const outside = await get(uri, 'application/octet-stream', { Range: `bytes=${whole.body.length}-` });
        expect(outside.status).toBe(416);
        expect(outside.headers.get('content-range')).toBe(`bytes */${whole.body.length}`);
      });
    });

    describe('WADO-RS transcoding (PS3.18 §8.7.3)', () => {
      const ids = { study: '', series: '', patientId: `${patientId}-tx` };
      let images: SyntheticImage[];
      /** Each image stored as each lossless source syntax: the retrieve URL and SOP Instance UID of that copy. */
      const storedAs = new Map<string, { url: string; sop: string }>();
      const decodedElsewhere: { file: string; image: SyntheticImage }[] = [];
      let counter = 0;
      const keyOf = (img: SyntheticImage, ts: string) => `${img.name}@${ts}`;
      const dir = mkdtempSync(join(tmpdir(), 'pacs-transcoding-'));
      const dicomAccept = (ts: string) => `multipart/related; type="application/dicom"; transfer-syntax=${ts}`;

      /** Retrieves an instance in `ts`, stores it back under a new SOP Instance UID, returns the new copy. */
      async function storeBack(
        url: string,
        sop: string,
        ts: string,
      ): Promise<{ url: string; sop: string; bytes: Buffer }> {
        const response = await get(url, dicomAccept(ts));
        expect([url, ts, response.status]).toEqual([url, ts, 200]);
        const [part] = splitMultipart(response.body, response.headers.get('content-type')!);
        expect(part!.headers['content-type']).toBe(`application/dicom; transfer-syntax=${ts}`);
        const newSop = sameLengthUid(sop, ++counter);
        const bytes = withSopUid(part!.body, sop, newSop);
        const stored = await stow(`${base}/studies`, [{ bytes }]);
        expect([ts, stored.status]).toEqual([ts, 200]);
        const item = (stored.body[Tag.ReferencedSOPSequence]!.Value as Dataset[])[0]!;
        return { url: String(value(item, Tag.RetrieveURL)), sop: newSop, bytes };
      }

      /** The pixels of an instance as the server decodes them (frames as application/octet-stream). */
      async function nativePixels(url: string, frames: number): Promise<Buffer> {
        const list = Array.from({ length: frames }, (_, n) => n + 1).join(',');
        const response = await get(`${url}/frames/${list}`, 'multipart/related; type="application/octet-stream"');
        expect(response.status).toBe(200);
        return Buffer.concat(splitMultipart(response.body, response.headers.get('content-type')!).map((p) => p.body));
      }

      beforeAll(async () => {
        images = syntheticImages();
        ids.study = newUid();
        ids.series = newUid();
        // Native sources are written directly; every other source syntax is made by the server (a
        // transcoding itself) and stored back, so each image exists stored in each source syntax.
        for (const img of images) {
          for (const ts of [
            TransferSyntaxUid.ExplicitVRLittleEndian,
            TransferSyntaxUid.ImplicitVRLittleEndian,
            TransferSyntaxUid.ExplicitVRBigEndian,
          ]) {
            const sop =
              ts === TransferSyntaxUid.ExplicitVRLittleEndian ? img.sopUid : sameLengthUid(img.sopUid, ++counter);
            const file = withSopUid(await nativeFile(img, ids, ts), img.sopUid, sop);
            const response = await stow(`${base}/studies`, [{ bytes: file }]);
            expect([img.name, ts, response.status]).toEqual([img.name, ts, 200]);
            const item = (response.body[Tag.ReferencedSOPSequence]!.Value as Dataset[])[0]!;
            storedAs.set(keyOf(img, ts), { url: String(value(item, Tag.RetrieveURL)), sop });
          }
          const original = storedAs.get(keyOf(img, TransferSyntaxUid.ExplicitVRLittleEndian))!;
          for (const ts of losslessTargets) {
            if (ts === TransferSyntaxUid.ExplicitVRLittleEndian) continue;
            const copy = await storeBack(original.url, original.sop, ts);
            storedAs.set(keyOf(img, ts), copy);
          }
        }
      }, 300_000);

      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      it.each(losslessSources.map((ts) => [ts]))(
        'stored as %s: every lossless syntax round-trips pixel-identical through STOW-RS',
        async (source) => {
          for (const img of images) {
            const from = storedAs.get(keyOf(img, source))!;
            for (const target of losslessTargets) {
              const copy = await storeBack(from.url, from.sop, target);
              const pixels = await nativePixels(copy.url, img.frames);
              expect([img.name, source, target, sha256(pixels)]).toEqual([
                img.name,
                source,
                target,
                sha256(img.pixels),
              ]);
              const file = join(dir, `${img.name}-${source}-${target}.dcm`);
              writeFileSync(file, copy.bytes);
              decodedElsewhere.push({ file, image: img });
            }
          }
        },
        120_000,
      );

      it('gives copies that pydicom decodes to the same pixels', async () => {
        expect(decodedElsewhere.length).toBe(losslessSources.length * losslessTargets.length * images.length);
        const { stdout } = await run(
          'python3',
          [join(__dirname, 'clients', 'pydicom_pixels.py'), ...decodedElsewhere.map((d) => d.file)],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        const decoded = JSON.parse(stdout) as Record<string, { sha256?: string; error?: string }>;
        const wrong = decodedElsewhere
          .filter(({ file, image }) => decoded[file]?.sha256 !== sha256(image.pixels))
          .map(({ file }) => `${file}: ${decoded[file]?.error ?? 'other pixels'}`);
        expect(wrong).toEqual([]);
      }, 120_000);

      it('converts an Implicit VR Little Endian original to Explicit VR Little Endian when no syntax is asked', async () => {
        const img = images[0]!;
        const { url } = storedAs.get(keyOf(img, TransferSyntaxUid.ImplicitVRLittleEndian))!;
        const response = await get(url, 'multipart/related; type="application/dicom"');
        expect(response.status).toBe(200);
        const [part] = splitMultipart(response.body, response.headers.get('content-type')!);
        expect(part!.headers['content-type']).toBe(
          `application/dicom; transfer-syntax=${TransferSyntaxUid.ExplicitVRLittleEndian}`,
        );
        expect(part!.body.includes(img.pixels)).toBe(true);
      });

      it('decompresses a lossy original when no syntax is asked, and refuses a lossless compressed syntax (406)', async () => {
        const img = images.find((i) => i.name === 'mono8')!;
        const original = storedAs.get(keyOf(img, TransferSyntaxUid.ExplicitVRLittleEndian))!;
        const jpeg = await storeBack(original.url, original.sop, TransferSyntaxUid.JPEGBaseline8Bit);
        const response = await get(jpeg.url, 'multipart/related; type="application/dicom"');
        expect(response.status).toBe(200);
        const [part] = splitMultipart(response.body, response.headers.get('content-type')!);
        expect(part!.headers['content-type']).toBe(
          `application/dicom; transfer-syntax=${TransferSyntaxUid.ExplicitVRLittleEndian}`,
        );
        const [metadata] = json((await get(`${jpeg.url}/metadata`)).body);
        expect(value(metadata!, Tag.LossyImageCompression)).toBe('01');
        expect((await get(jpeg.url, dicomAccept(TransferSyntaxUid.JPEGLSLossless))).status).toBe(406);
        const frames = await get(`${jpeg.url}/frames/1`, 'multipart/related; type="image/jls"');
        expect(frames.status).toBe(406);
      });

      it('sends frames as stored for transfer-syntax=*, labelled with their own media type', async () => {
        const img = images[0]!;
        const { url } = storedAs.get(keyOf(img, TransferSyntaxUid.JPEGLSLossless))!;
        const response = await get(
          `${url}/frames/1`,
          'multipart/related; type="application/octet-stream"; transfer-syntax=*',
        );
        const [part] = splitMultipart(response.body, response.headers.get('content-type')!);
        expect(part!.headers['content-type']).toBe(`image/jls; transfer-syntax=${TransferSyntaxUid.JPEGLSLossless}`);
        expect(part!.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      });
    });

    describe('no partial state', () => {
      it('keeps exactly one original per indexed instance: failures, duplicates and conflicts left no blob behind', async () => {
        const instances = json((await get(`${base}/instances?limit=10000`)).body);
        // Objects WADO-RS derives from the originals (p/{partition}/wado/…: inflated and transcoded copies,
        // metadata documents) are not originals.
        const originals = (await target.listBlobs()).filter(
          (key) => key.endsWith('.dcm') && !/^p\/\d+\/wado\//.test(key),
        );
        expect(originals.length).toBe(instances.length);
        const sops = new Set(instances.map((i) => String(value(i, Tag.SOPInstanceUID))));
        for (const key of originals) expect(sops.has(/([^/]+)\.[0-9a-f-]{36}\.dcm$/.exec(key)![1]!)).toBe(true);
      });
    });

    describe('clients we did not write', () => {
      it('dicomweb-client (PyPI) stores, searches and retrieves', async () => {
        const instances = makeCtSeries({ count: 3, 'patient-id': `${patientId}-py` });
        const { stdout } = await run(
          'python3',
          [
            join(__dirname, 'clients', 'python_dicomweb_client.py'),
            base,
            `${patientId}-py`,
            ...instances.map((i) => i.path),
          ],
          {
            maxBuffer: 16 * 1024 * 1024,
          },
        );
        const report = JSON.parse(stdout.trim().split('\n').pop()!);
        expect(report.stored.sort()).toEqual(instances.map((i) => i.sop).sort());
        expect(report.failed).toBe(0);
        expect(report.studies).toEqual([{ uid: instances[0]!.study, instances: 3, description: 'Conformance study' }]);
        expect(report.series).toEqual([instances[0]!.series]);
        expect(report.instances).toEqual(instances.map((i) => i.sop).sort());
        for (const r of Object.values(report.retrieved) as { pixelsEqual: boolean; patientName: string }[]) {
          expect(r).toEqual({ pixelsEqual: true, patientName: 'Conformance^Test' });
        }
        expect(report.metadataCount).toBe(3);
        expect(report.metadataPixelDataBulk).toBe(true);
        expect(report.frameEqual).toBe(true);
      });

      it('dicomweb-client (npm, the client OHIF is built on) searches and retrieves', async () => {
        // The npm package speaks XMLHttpRequest; xhr2 provides it in Node.
        (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= (await import('xhr2')).default;
        const { api } = await import('dicomweb-client');
        // The package's typings mark options required that its code treats as optional.
        const client: any = new api.DICOMwebClient({ url: base, singlepart: false } as any);
        const studies = (await client.searchForStudies({ queryParams: { PatientID: patientId } })) as Dataset[];
        expect(studies.map((s) => value(s, Tag.StudyInstanceUID))).toEqual([series[0]!.study]);
        const metadata = (await client.retrieveSeriesMetadata({
          studyInstanceUID: series[0]!.study,
          seriesInstanceUID: series[0]!.series,
        })) as Dataset[];
        expect(metadata).toHaveLength(series.length);
        const frames = (await client.retrieveInstanceFrames({
          studyInstanceUID: series[0]!.study,
          seriesInstanceUID: series[0]!.series,
          sopInstanceUID: series[0]!.sop,
          frameNumbers: [1],
        })) as ArrayBuffer[];
        expect(frames).toHaveLength(1);
        expect(frames[0]!.byteLength).toBe(64 * 64 * 2);
        const instance = (await client.retrieveInstance({
          studyInstanceUID: series[0]!.study,
          seriesInstanceUID: series[0]!.series,
          sopInstanceUID: series[0]!.sop,
        })) as ArrayBuffer;
        expect(sha256(new Uint8Array(instance))).toBe(series[0]!.sha256);
      });
    });
  });
}
