// The rendered and thumbnail resources end to end in one process, composed as services/pacs composes them: STOW-RS
// stores synthetic instances over HTTP, the index consumes them, and every check is an HTTP request.
import { Topic, type EventBus } from '@pacs/bus';
import { encodeInstanceDeleted, eventHeaders, InstanceDeletedSchema } from '@pacs/contracts';
import { generateUid, TransferSyntaxUid } from '@pacs/dicom';
import { QidoFeature } from '@pacs/qido';
import { BLOB_STORE, createApp, EVENT_BUS, type App } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import {
  ctInstance,
  ctSize,
  ctValue,
  ctWindow,
  jpegInstance,
  multiFrameInstance,
  multiFrameSize,
  multiFrameValue,
  newUids,
  reportInstance,
  splitMultipart,
  stowBody,
  windowed,
  type Instance,
  type Uids,
} from '../test/render-fixtures';
import { FrameRenderer } from './frame-renderer';
import { RenderFeature } from './render.module';
import { defaultRenderSettings } from './render-settings';
import { thumbnailKeyOf } from './thumbnail-key';

jest.setTimeout(60_000);

let app: App;
let base: string;
let dataDir: string;
let blobs: BlobStore;

const study = generateUid();
const seriesA = generateUid();
const seriesB = generateUid();
const seriesC = generateUid();
let ct1: Instance; // series A, instance 1: Explicit VR Little Endian
let ct2: Instance; // series A, instance 2: Deflated (the middle one of series A)
let ct3: Instance; // series A, instance 3: JPEG Baseline
let mf: Instance; // series B: 3 frames
let sr: Instance; // series C: no pixel data

interface Got {
  status: number;
  type: string;
  headers: Headers;
  body: Buffer;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Got> {
  const response = await fetch(`${base}${path}`, { headers });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

const instancePath = (u: Uids): string => `/dicomweb/studies/${u.study}/series/${u.series}/instances/${u.sop}`;
const thumbnailKey = (u: Uids, mediaType: 'image/jpeg' = 'image/jpeg') =>
  thumbnailKeyOf(
    { partitionId: 1, studyUid: u.study, seriesUid: u.series, sopUid: u.sop },
    { width: defaultRenderSettings.thumbnailSize, height: defaultRenderSettings.thumbnailSize },
    mediaType,
  );

/** Grey pixels of an image (sharp would expand a grey JPEG/PNG to sRGB without the colourspace). */
async function greyPixels(image: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(image).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { data, width: info.width, height: info.height };
}

const mean = (data: Buffer): number => data.reduce((sum, v) => sum + v, 0) / data.length;

async function waitFor(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pacs-render-'));
  app = await createApp({
    name: 'test',
    features: [StowFeature, QidoFeature, WadoFeature, RenderFeature],
    overrides: { PACS_DATA_DIR: dataDir, PACS_LOG_LEVEL: 'silent', PACS_AUDIT_LOG: join(dataDir, 'audit.log') },
  });
  await app.app.listen(0, '127.0.0.1');
  base = (await app.app.getUrl()).replace('[::1]', '127.0.0.1');
  blobs = app.app.get<BlobStore>(BLOB_STORE);

  // An 8-bit ramp 0 … 252 as a baseline JPEG (quality 100) for the encapsulated instance.
  const ramp = Buffer.alloc(ctSize * ctSize);
  for (let i = 0; i < ramp.length; i++) ramp[i] = (i % ctSize) * 4;
  const jpeg = await sharp(ramp, { raw: { width: ctSize, height: ctSize, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality: 100 })
    .toBuffer();
  ct1 = await ctInstance(newUids(study, seriesA), 1);
  ct2 = await ctInstance(newUids(study, seriesA), 2, TransferSyntaxUid.DeflatedExplicitVRLittleEndian);
  ct3 = await jpegInstance(newUids(study, seriesA), 3, jpeg);
  mf = await multiFrameInstance(newUids(study, seriesB));
  sr = await reportInstance(newUids(study, seriesC));
  const { body, contentType } = stowBody([ct1, ct2, ct3, mf, sr]);
  const stored = await fetch(`${base}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/dicom+json' },
    body,
  });
  expect(stored.status).toBe(200);
});

afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('rendered resources (PS3.18 §10.4.1.1.2)', () => {
  it('renders a PNG whose pixels are the window of the request applied to the stored values', async () => {
    const got = await get(`${instancePath(ct1.uids)}/rendered?window=300,200,LINEAR`, { accept: 'image/png' });
    expect([got.status, got.type]).toEqual([200, 'image/png']);
    const { data, width, height } = await greyPixels(got.body);
    expect([width, height]).toEqual([ctSize, ctSize]);
    for (let x = 0; x < ctSize; x++) expect(data[5 * ctSize + x]).toBe(windowed(ctValue(x, 5), 300, 200));
  });

  it("applies the data set's own window when the request has none, and LINEAR_EXACT when asked", async () => {
    const own = await greyPixels((await get(`${instancePath(ct1.uids)}/rendered?accept=image/png`)).body);
    const exact = await greyPixels(
      (await get(`${instancePath(ct1.uids)}/rendered?accept=image/png&window=512,256,linear-exact`)).body,
    );
    for (let x = 0; x < ctSize; x++) {
      expect(own.data[x]).toBe(windowed(ctValue(x, 0), ctWindow.center, ctWindow.width));
      expect(exact.data[x]).toBe(windowed(ctValue(x, 0), 512, 256, 'LINEAR_EXACT'));
    }
  });

  it('answers JPEG by default, which decodes to the windowed image within JPEG error', async () => {
    const got = await get(`${instancePath(ct1.uids)}/rendered`);
    expect([got.status, got.type]).toEqual([200, 'image/jpeg']);
    expect(got.headers.get('vary')).toBe('Accept');
    const { data } = await greyPixels(got.body);
    let worst = 0;
    for (let x = 0; x < ctSize; x++) {
      worst = Math.max(
        worst,
        Math.abs(data[10 * ctSize + x]! - windowed(ctValue(x, 10), ctWindow.center, ctWindow.width)),
      );
    }
    expect(worst).toBeLessThanOrEqual(6);
  });

  it('lets the accept query parameter win over the Accept header (PS3.18 §8.3.3.1)', async () => {
    const got = await get(`${instancePath(ct1.uids)}/rendered?accept=image/jpeg`, { accept: 'image/png' });
    expect([got.status, got.type]).toEqual([200, 'image/jpeg']);
    const header = await get(`${instancePath(ct1.uids)}/rendered`, { accept: 'image/png' });
    expect(header.type).toBe('image/png');
  });

  it('encodes GIF and WebP when asked', async () => {
    const gif = await get(`${instancePath(ct1.uids)}/rendered`, { accept: 'image/gif' });
    expect([gif.type, gif.body.subarray(0, 6).toString('latin1')]).toEqual(['image/gif', 'GIF89a']);
    const webp = await get(`${instancePath(ct1.uids)}/rendered?accept=image/webp`);
    expect([webp.type, webp.body.subarray(8, 12).toString('latin1')]).toEqual(['image/webp', 'WEBP']);
  });

  it('answers 406 when no rendered media type is acceptable', async () => {
    expect((await get(`${instancePath(ct1.uids)}/rendered`, { accept: 'application/dicom' })).status).toBe(406);
  });

  it('fits the viewport keeping the aspect ratio, and crops its source region first (PS3.18 §8.3.5.1.3)', async () => {
    const small = await greyPixels(
      (await get(`${instancePath(ct1.uids)}/rendered?viewport=32,32&accept=image/png`)).body,
    );
    expect([small.width, small.height]).toEqual([32, 32]);
    const wide = await greyPixels(
      (await get(`${instancePath(ct1.uids)}/rendered?viewport=100,50&accept=image/png`)).body,
    );
    expect([wide.width, wide.height]).toEqual([50, 50]);
    // The left half of the ramp, enlarged to 64 × 64: the right edge is the middle of the ramp, not its end.
    const region = await greyPixels(
      (await get(`${instancePath(ct1.uids)}/rendered?viewport=64,64,0,0,32,64&window=512,1024&accept=image/png`)).body,
    );
    expect([region.width, region.height]).toEqual([32, 64]);
    expect(region.data[31]).toBeLessThan(140);
  });

  it('renders the same pixels from a Deflated instance, reading it through the inflater', async () => {
    const plain = await get(`${instancePath(ct1.uids)}/rendered?accept=image/png`);
    const deflated = await get(`${instancePath(ct2.uids)}/rendered?accept=image/png`);
    expect(deflated.status).toBe(200);
    expect((await greyPixels(deflated.body)).data).toEqual((await greyPixels(plain.body)).data);
  });

  it('renders an encapsulated JPEG Baseline instance', async () => {
    const got = await get(`${instancePath(ct3.uids)}/rendered?accept=image/png`);
    expect(got.headers.get('warning')).toBe(null);
    expect(got.status).toBe(200);
    const { data } = await greyPixels(got.body);
    // No window in the data set: the frame's own range is stretched to 0 … 255, so the ramp stays a ramp.
    expect(data[0]).toBeLessThan(8);
    expect(data[ctSize - 1]).toBeGreaterThan(247);
    expect(Math.abs(data[32]! - 130)).toBeLessThan(8);
  });

  it('renders one frame of a multi-frame instance', async () => {
    const got = await get(`${instancePath(mf.uids)}/frames/2/rendered`, { accept: 'image/png' });
    expect([got.status, got.type]).toEqual([200, 'image/png']);
    const { data, width } = await greyPixels(got.body);
    expect(width).toBe(multiFrameSize);
    expect(new Set(data)).toEqual(new Set([multiFrameValue(2)]));
  });

  it('answers several frames as multipart/related, one rendered image per part', async () => {
    const got = await get(`${instancePath(mf.uids)}/frames/3,1/rendered`, {
      accept: 'multipart/related; type="image/png"',
    });
    expect(got.status).toBe(200);
    expect(got.type).toMatch(/^multipart\/related;.*type="?image\/png/);
    const parts = splitMultipart(got.body, got.type);
    expect(parts.map((p) => p.headers['content-type'])).toEqual(['image/png', 'image/png']);
    expect(parts[0]!.headers['content-location']).toMatch(/\/frames\/3\/rendered$/);
    expect(mean((await greyPixels(parts[0]!.body)).data)).toBe(multiFrameValue(3));
    expect(mean((await greyPixels(parts[1]!.body)).data)).toBe(multiFrameValue(1));
  });

  it('answers a multi-frame instance as multipart by default, and its first frame for a single-image type', async () => {
    const all = await get(`${instancePath(mf.uids)}/rendered`);
    expect(all.type).toMatch(/^multipart\/related;.*type="?image\/jpeg/);
    expect(splitMultipart(all.body, all.type)).toHaveLength(3);
    const single = await get(`${instancePath(mf.uids)}/rendered`, { accept: 'image/png' });
    expect(single.type).toBe('image/png');
    expect(mean((await greyPixels(single.body)).data)).toBe(multiFrameValue(1));
  });

  it('renders every image of a series and of a study, leaving out instances without pixel data', async () => {
    const series = await get(`/dicomweb/studies/${study}/series/${seriesA}/rendered?accept=image/png`, {
      accept: 'multipart/related; type="image/png"',
    });
    // accept=image/png (single image) wins over the header: the first image of the series, ct1.
    expect(series.type).toBe('image/png');
    const seriesParts = await get(`/dicomweb/studies/${study}/series/${seriesA}/rendered`, {
      accept: 'multipart/related; type="image/png"',
    });
    const parts = splitMultipart(seriesParts.body, seriesParts.type);
    expect(parts.map((p) => p.headers['content-location']!.split('/instances/')[1])).toEqual(
      [ct1, ct2, ct3].map((i) => `${i.uids.sop}/rendered`),
    );
    const studyParts = await get(`/dicomweb/studies/${study}/rendered`);
    expect(splitMultipart(studyParts.body, studyParts.type)).toHaveLength(3 + 3);
  });

  it('answers 406 for an instance without pixel data', async () => {
    expect((await get(`${instancePath(sr.uids)}/rendered`)).status).toBe(406);
  });

  it.each([
    ['window=abc', 'window'],
    ['window=40,0', 'window width'],
    ['window=40,400,cubic', 'function'],
    ['viewport=0,10', 'viewport'],
    ['viewport=10,10,1', 'viewport'],
    ['viewport=100000,10', 'viewport'],
    ['quality=0', 'quality'],
    ['quality=101', 'quality'],
    ['quality=high', 'quality'],
    ['iccprofile=cmyk', 'iccprofile'],
    ['quality=50&quality=60', 'more than once'],
  ])('answers 400 with a reason for %s', async (query, reason) => {
    const got = await get(`${instancePath(ct1.uids)}/rendered?${query}`);
    expect(got.status).toBe(400);
    expect(got.headers.get('warning')).toContain(reason);
  });

  it('answers 400 for a malformed frame list or UID', async () => {
    expect((await get(`${instancePath(mf.uids)}/frames/0/rendered`)).status).toBe(400);
    expect((await get(`/dicomweb/studies/1.02.3/rendered`)).status).toBe(400);
  });

  it('answers 404 for an unknown study, instance or frame', async () => {
    expect((await get(`/dicomweb/studies/${generateUid()}/rendered`)).status).toBe(404);
    expect((await get(`${instancePath({ ...ct1.uids, sop: generateUid() })}/rendered`)).status).toBe(404);
    expect((await get(`${instancePath(mf.uids)}/frames/4/rendered`)).status).toBe(404);
  });

  it('accepts and ignores annotation and charset', async () => {
    const plain = await get(`${instancePath(ct1.uids)}/rendered?accept=image/png`);
    const annotated = await get(
      `${instancePath(ct1.uids)}/rendered?accept=image/png&annotation=patient,technique&charset=utf-8`,
    );
    expect(annotated.status).toBe(200);
    expect(annotated.body).toEqual(plain.body);
  });

  it('keeps 20 requests in flight within the concurrency limit and the cache within its bound', async () => {
    const renderer = app.app.get(FrameRenderer);
    let busiest = 0;
    const sampler = setInterval(() => (busiest = Math.max(busiest, renderer.stats.active)), 1);
    const before = process.memoryUsage().rss;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        get(`${instancePath(ct1.uids)}/rendered?window=${100 + i},300&viewport=512,512`),
      ),
    );
    clearInterval(sampler);
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(busiest).toBeGreaterThan(0);
    expect(busiest).toBeLessThanOrEqual(defaultRenderSettings.concurrency);
    expect(renderer.stats).toMatchObject({ active: 0, queued: 0 });
    expect(renderer.stats.cachedBytes).toBeLessThanOrEqual(defaultRenderSettings.renderedCacheBytes);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});

describe('thumbnails (PS3.18 §10.4.1.1.5)', () => {
  beforeAll(async () => {
    // Precomputed by the instance.indexed consumer, shortly after STOW-RS answered.
    await waitFor(async () => {
      const found = await Promise.all([ct1, ct2, ct3, mf].map((i) => blobs.head(thumbnailKey(i.uids))));
      return found.every(Boolean);
    });
  });

  it('precomputes the thumbnail of every image instance, and none for an instance without pixel data', async () => {
    for (const i of [ct1, ct2, ct3, mf]) expect(await blobs.head(thumbnailKey(i.uids))).toBeDefined();
    expect(await blobs.head(thumbnailKey(sr.uids))).toBeUndefined();
  });

  it('serves the stored thumbnail as it is stored, without rendering', async () => {
    // Replace the stored thumbnail by another image: the answer is that image, so it came from the blob store.
    const marker = await sharp({ create: { width: 7, height: 5, channels: 3, background: '#ff0000' } })
      .jpeg()
      .toBuffer();
    await blobs.put(thumbnailKey(ct3.uids), Readable.from([marker]));
    const got = await get(`${instancePath(ct3.uids)}/thumbnail`);
    expect([got.status, got.type]).toEqual([200, 'image/jpeg']);
    expect(got.body).toEqual(marker);
  });

  it('renders the default thumbnail into 128 × 128, keeping the aspect ratio', async () => {
    const got = await get(`${instancePath(ct1.uids)}/thumbnail`);
    const meta = await sharp(got.body).metadata();
    expect([got.type, meta.width, meta.height]).toEqual(['image/jpeg', 128, 128]);
    const stored = Buffer.concat(await (await blobs.get(thumbnailKey(ct1.uids))).toArray());
    expect(got.body).toEqual(stored);
  });

  it('represents a series by its middle instance and a study by its first series', async () => {
    const middle = await get(`${instancePath(ct2.uids)}/thumbnail`);
    expect((await get(`/dicomweb/studies/${study}/series/${seriesA}/thumbnail`)).body).toEqual(middle.body);
    expect((await get(`/dicomweb/studies/${study}/thumbnail`)).body).toEqual(middle.body);
  });

  it('represents a multi-frame instance by its middle frame, and a frame by itself', async () => {
    const series = await greyPixels((await get(`/dicomweb/studies/${study}/series/${seriesB}/thumbnail`)).body);
    expect(Math.abs(mean(series.data) - multiFrameValue(2))).toBeLessThan(2);
    const frame = await greyPixels((await get(`${instancePath(mf.uids)}/frames/3/thumbnail`)).body);
    expect(Math.abs(mean(frame.data) - multiFrameValue(3))).toBeLessThan(2);
  });

  it('honours viewport and the accept query parameter', async () => {
    const got = await get(`${instancePath(ct1.uids)}/thumbnail?viewport=32,32&accept=image/png`, {
      accept: 'image/jpeg',
    });
    const meta = await sharp(got.body).metadata();
    expect([got.type, meta.format, meta.width, meta.height]).toEqual(['image/png', 'png', 32, 32]);
  });

  it('answers 404 for an unknown instance, 406 for one without pixel data, 400 for a bad viewport', async () => {
    expect((await get(`${instancePath({ ...ct1.uids, sop: generateUid() })}/thumbnail`)).status).toBe(404);
    expect((await get(`${instancePath(sr.uids)}/thumbnail`)).status).toBe(406);
    expect((await get(`/dicomweb/studies/${study}/series/${seriesC}/thumbnail`)).status).toBe(406);
    expect((await get(`${instancePath(ct1.uids)}/thumbnail?viewport=-5,10`)).status).toBe(400);
  });

  it('removes the stored thumbnails of a deleted instance (instance.deleted)', async () => {
    const bus = app.app.get<EventBus>(EVENT_BUS);
    await bus.publish([
      {
        topic: Topic.InstanceDeleted,
        key: study,
        value: encodeInstanceDeleted({
          partition: '1',
          studyInstanceUid: study,
          seriesInstanceUid: seriesB,
          sopInstanceUid: mf.uids.sop,
          deletedAt: BigInt(Date.now()),
        }),
        headers: eventHeaders(InstanceDeletedSchema),
      },
    ]);
    await waitFor(async () => (await blobs.head(thumbnailKey(mf.uids))) === undefined);
  });
});
