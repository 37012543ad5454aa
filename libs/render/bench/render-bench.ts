// Throughput of the rendered and thumbnail resources over HTTP against an in-process app (STOW-RS, QIDO-RS,
// WADO-RS and render in one process, embedded PGlite, files, in-process bus), 8 requests in flight; the client
// shares the machine's 2 cores with the server. Run: bash libs/render/bench/run.sh [seconds].
//
//   rendered JPEG 512²          every request a new window: read frame + decode + window + encode (no cache hit)
//   rendered JPEG 512², cached  the same request again: served from the in-memory LRU
//   thumbnail, blob store hit   precomputed thumbnails, in-memory cache off: one blob GET per request, no decode
//   thumbnail, memory hit       the same with the in-memory thumbnail cache (default)
import { generateUid, Tag, TransferSyntaxUid, writePart10, type DicomJsonDataset } from '@pacs/dicom';
import { QidoFeature } from '@pacs/qido';
import { renderFeatureWith, thumbnailKeyOf } from '@pacs/render';
import { BLOB_STORE, createApp, type App } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const seconds = Number(process.argv[2] ?? 5);
/** Renderings at once (default: the feature's own, one per core and at least 2). */
const concurrency = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const inFlight = 8;
const instances = 40;

/** A body-like 512 × 512 CT phantom (as libs/imaging/bench): air, soft tissue, bone ring, noise. */
function phantom(seed: number): Buffer {
  const pixels = Buffer.alloc(512 * 512 * 2);
  for (let y = 0; y < 512; y++) {
    for (let x = 0; x < 512; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const r = Math.hypot(x - 256, y - 256);
      const noise = ((seed >>> 16) % 41) - 20;
      const hu = r > 230 ? -1000 : r > 210 ? 700 : 40 + 30 * Math.sin(x / 23) * Math.cos(y / 31);
      pixels.writeInt16LE(Math.round(hu + 1024 + noise), (y * 512 + x) * 2);
    }
  }
  return pixels;
}

async function ctInstance(study: string, series: string, sop: string, n: number): Promise<Buffer> {
  const dataset: DicomJsonDataset = {
    [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [sop] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [series] },
    [Tag.Modality]: { vr: 'CS', Value: ['CT'] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [n] },
    [Tag.SamplesPerPixel]: { vr: 'US', Value: [1] },
    [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['MONOCHROME2'] },
    [Tag.Rows]: { vr: 'US', Value: [512] },
    [Tag.Columns]: { vr: 'US', Value: [512] },
    [Tag.BitsAllocated]: { vr: 'US', Value: [16] },
    [Tag.BitsStored]: { vr: 'US', Value: [16] },
    [Tag.HighBit]: { vr: 'US', Value: [15] },
    [Tag.PixelRepresentation]: { vr: 'US', Value: [1] },
    [Tag.RescaleIntercept]: { vr: 'DS', Value: [-1024] },
    [Tag.RescaleSlope]: { vr: 'DS', Value: [1] },
    [Tag.WindowCenter]: { vr: 'DS', Value: [40] },
    [Tag.WindowWidth]: { vr: 'DS', Value: [400] },
  };
  const chunks: Buffer[] = [];
  for await (const c of writePart10({
    dataset,
    transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
    pixelData: { vr: 'OW', value: phantom(n) },
  })) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const agent = new Agent({ keepAlive: true, maxSockets: inFlight });

function get(url: string, accept: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function measure(name: string, url: (i: number) => string, accept = 'image/jpeg'): Promise<void> {
  for (let i = 0; i < 10; i++) await get(url(i), accept); // warm up
  const latencies: number[] = [];
  let next = 0;
  let bytes = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const answer = await get(url(next++), accept);
        if (answer.status !== 200) throw new Error(`${name}: HTTP ${answer.status}`);
        latencies.push(performance.now() - t);
        bytes += answer.bytes;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  console.log(
    `${name.padEnd(34)} ${(latencies.length / elapsed).toFixed(0).padStart(6)} /s   p50 ${at(0.5).padStart(6)} ms   p95 ${at(0.95).padStart(6)} ms   ${(bytes / latencies.length / 1024).toFixed(1)} KiB each`,
  );
}

async function withApp(
  thumbnailCacheBytes: number,
  run: (app: App, base: string, uids: { study: string; series: string; sops: string[] }) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pacs-render-bench-'));
  const app = await createApp({
    name: 'bench',
    features: [
      StowFeature,
      QidoFeature,
      WadoFeature,
      renderFeatureWith({ thumbnailCacheBytes, ...(concurrency ? { concurrency } : {}) }),
    ],
    overrides: { PACS_DATA_DIR: dataDir, PACS_LOG_LEVEL: 'silent', PACS_AUDIT_LOG: join(dataDir, 'audit.log') },
  });
  try {
    await app.app.listen(0, '127.0.0.1');
    const base = (await app.app.getUrl()).replace('[::1]', '127.0.0.1');
    const study = generateUid();
    const series = generateUid();
    const sops = Array.from({ length: instances }, () => generateUid());
    const boundary = 'render-bench';
    const parts: Buffer[] = [];
    for (const [n, sop] of sops.entries()) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
      parts.push(await ctInstance(study, series, sop, n + 1), Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const stored = await fetch(`${base}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
      body: Buffer.concat(parts),
    });
    // 202: stored, indexing slower than STOW-RS waits (a loaded machine); the thumbnails still come.
    if (stored.status !== 200 && stored.status !== 202) throw new Error(`STOW-RS answered ${stored.status}`);
    const blobs = app.app.get<BlobStore>(BLOB_STORE);
    const keys = sops.map((sop) =>
      thumbnailKeyOf(
        { partitionId: 1, studyUid: study, seriesUid: series, sopUid: sop },
        { width: 128, height: 128 },
        'image/jpeg',
      ),
    );
    const precomputing = performance.now();
    for (;;) {
      const present = await Promise.all(keys.map((k) => blobs.head(k)));
      if (present.every(Boolean)) break;
      if (performance.now() - precomputing > 60_000) throw new Error('thumbnails were not precomputed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    console.log(
      `${instances} thumbnails precomputed from instance.indexed ${(performance.now() - precomputing).toFixed(0)} ms after STOW-RS answered`,
    );
    await run(app, base, { study, series, sops });
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `Node ${process.version}, ${availableParallelism()} cores, ${inFlight} in flight, ${seconds} s per measurement`,
  );
  const instanceUrl = (base: string, u: { study: string; series: string; sops: string[] }, i: number) =>
    `${base}/dicomweb/studies/${u.study}/series/${u.series}/instances/${u.sops[i % u.sops.length]}`;
  await withApp(0, async (_app, base, u) => {
    await measure(
      'rendered JPEG 512², no cache hit',
      (i) => `${instanceUrl(base, u, i)}/rendered?window=${40 + (i % 5000)},${400 + Math.floor(i / 5000)}`,
    );
    await measure('rendered JPEG 512², cached', (i) => `${instanceUrl(base, u, i % 4)}/rendered`);
    await measure('thumbnail, blob store hit', (i) => `${instanceUrl(base, u, i)}/thumbnail`);
  });
  await withApp(16 * 1024 * 1024, async (_app, base, u) => {
    await measure('thumbnail, memory hit', (i) => `${instanceUrl(base, u, i)}/thumbnail`);
    await measure(
      'series thumbnail, memory hit',
      () => `${base}/dicomweb/studies/${u.study}/series/${u.series}/thumbnail`,
    );
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
