// WADO-RS benchmark: our all-in-one PACS and Orthanc (Debian's, with its DICOMweb plugin) measured in the same
// run on the same data, with the same client, and against the machine's own limits (disk → /dev/null, a
// trivial Node file server → the client). Usage: bash bench/wado/run.sh [--fresh] [--seconds N]
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { makeBenchData, type BenchData } from './fixtures';
import { closedLoop, getBody, getCounted, httpAgent, latencies, type Latencies } from './http-client';
import { freePort, startOrthanc, startOurs, type Server } from './servers';

const args = process.argv.slice(2);
const fresh = args.includes('--fresh');
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 10;
const repoRoot = resolve(__dirname, '../../../..'); // .cache/wado-bench/bench/wado → repository root
const buildDir = resolve(__dirname, '../..');
const work = join(repoRoot, '.cache/wado-bench-run');

const accept = {
  metadata: 'application/dicom+json',
  frames: 'multipart/related; type="application/octet-stream"; transfer-syntax=*',
  instances: 'multipart/related; type="application/dicom"; transfer-syntax=*',
};

type Row = {
  scenario: string;
  unit: string;
  ours: number;
  orthanc: number;
  better: 'higher' | 'lower';
  target?: string;
  met?: boolean;
};
const rows: Row[] = [];
const log = (...a: unknown[]) => console.error('[wado-bench]', ...a);
const round = (n: number, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : NaN);

// ----------------------------------------------------------------------------------------------- loading

const boundary = 'wado-bench-boundary';
function stowBody(files: readonly string[]): Readable {
  async function* body() {
    for (const file of files) {
      yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
      yield* createReadStream(file, { highWaterMark: 1 << 20 });
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(body());
}

async function stow(base: string, files: readonly string[]): Promise<void> {
  const response = await fetch(`${base}/studies`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: 'application/dicom+json',
    },
    body: Readable.toWeb(stowBody(files)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`STOW-RS answered ${response.status}`);
}

async function studyInstances(base: string, study: string): Promise<number> {
  const response = await fetch(`${base}/studies?StudyInstanceUID=${study}&includefield=00201208`, {
    headers: { Accept: 'application/dicom+json' },
  });
  if (!response.ok) return 0;
  const found = (await response.json()) as Record<string, { Value?: unknown[] }>[];
  return Number(found[0]?.['00201208']?.Value?.[0] ?? 0);
}

async function loadOurs(server: Server, data: BenchData): Promise<void> {
  const expected = data.series.files.length + 1;
  if ((await studyInstances(server.base, data.study)) === expected) return log('ours: data already stored');
  const started = Date.now();
  for (let i = 0; i < data.series.files.length; i += 50) await stow(server.base, data.series.files.slice(i, i + 50));
  await stow(server.base, [data.multiframe.file]);
  log(`ours: stored ${expected} instances through STOW-RS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function loadOrthanc(rest: string, base: string, data: BenchData): Promise<void> {
  const expected = data.series.files.length + 1;
  if ((await studyInstances(base, data.study)) === expected) return log('orthanc: data already stored');
  const started = Date.now();
  const files = [...data.series.files, data.multiframe.file];
  const post = async (file: string) => {
    const response = await fetch(`${rest}/instances`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/dicom', 'Content-Length': String(statSync(file).size) },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 20 })) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`Orthanc /instances answered ${response.status}`);
  };
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < files.length) await post(files[next++]!);
    }),
  );
  log(`orthanc: stored ${expected} instances through its REST API in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ----------------------------------------------------------------------------------------------- ceilings

function catThroughput(file: string): number {
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] }); // into the page cache
  const started = process.hrtime.bigint();
  execFileSync('sh', ['-c', `cat "${file}" > /dev/null`]);
  return statSync(file).size / (Number(process.hrtime.bigint() - started) / 1e9) / 1e9;
}

/** A trivial Node HTTP server that streams `file` with `chunk`-byte reads: the file → HTTP limit of this machine. */
async function trivialServerThroughput(file: string, chunk: number): Promise<number> {
  const port = await freePort();
  const code = `require('http').createServer((q,s)=>{s.writeHead(200,{'content-length':${statSync(file).size}});require('fs').createReadStream(${JSON.stringify(file)},{highWaterMark:${chunk}}).pipe(s)}).listen(${port},'127.0.0.1',()=>console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout!.once('data', r));
  const agent = httpAgent(1);
  try {
    await getCounted(`http://127.0.0.1:${port}/`, {}, agent);
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const r = await getCounted(`http://127.0.0.1:${port}/`, {}, agent);
      best = Math.max(best, r.bytes / (r.ms / 1000) / 1e9);
    }
    return best;
  } finally {
    agent.destroy();
    child.kill();
  }
}

// ----------------------------------------------------------------------------------------------- scenarios

interface Measures {
  metadataCold: number;
  metadataWarm: Latencies;
  metadataBytes: number;
  framesPerSecond: number;
  framesLatency: Latencies;
  multiframe: Latencies;
  seriesRetrieveGBps: number;
  seriesRetrieveBytes: number;
  renderedPerSecond: number;
  renderedLatency: Latencies;
}

async function measure(server: Server, data: BenchData, budget: { slow: boolean }): Promise<Measures> {
  const seriesUrl = `${server.base}/studies/${data.study}/series/${data.series.uid}`;
  const metadataUrl = `${seriesUrl}/metadata`;
  const agent = httpAgent(8);

  // Series metadata, cold: a fresh process (nothing in memory; the OS page cache stays warm for both).
  const colds: number[] = [];
  for (let i = 0; i < 3; i++) {
    await server.restart();
    await getCounted(`${server.base}/studies?limit=1`, { Accept: accept.metadata }, agent); // process warm-up
    const r = await getCounted(metadataUrl, { Accept: accept.metadata }, agent);
    if (r.status !== 200) throw new Error(`${server.name}: series metadata answered ${r.status}`);
    colds.push(r.ms);
  }
  const metadataCold = latencies(colds).p50;
  log(`${server.name}: series metadata cold ${colds.map((c) => round(c)).join(', ')} ms`);

  const warm: number[] = [];
  let metadataBytes = 0;
  const warmRuns = budget.slow ? 10 : 30;
  for (let i = 0; i < warmRuns + 2; i++) {
    const r = await getCounted(metadataUrl, { Accept: accept.metadata }, agent);
    if (i >= 2) warm.push(r.ms);
    metadataBytes = r.bytes;
  }
  const metadataWarm = latencies(warm);
  log(
    `${server.name}: series metadata warm p50 ${round(metadataWarm.p50)} ms p95 ${round(metadataWarm.p95)} ms (${metadataBytes} bytes)`,
  );

  // Frames, 8 in flight: one frame of a random slice per request, as a viewer scrolling a series does.
  const sops = data.series.sops;
  const frameOf = () =>
    getCounted(
      `${seriesUrl}/instances/${sops[Math.floor(Math.random() * sops.length)]}/frames/1`,
      { Accept: accept.frames },
      agent,
    );
  await closedLoop(8, 1, frameOf);
  const frames = await closedLoop(8, seconds, frameOf);
  const framesPerSecond = frames.requests / frames.seconds;
  log(
    `${server.name}: frames ${round(framesPerSecond)} /s, p95 ${round(frames.latency.p95)} ms, ${round(frames.bytes / frames.seconds / 1e6)} MB/s`,
  );

  // A frame of the 800-frame multi-frame, one at a time.
  const mfUrl = `${server.base}/studies/${data.study}/series/${data.multiframe.series}/instances/${data.multiframe.sop}/frames/`;
  const mf = await closedLoop(
    1,
    budget.slow ? 60 : seconds,
    () =>
      getCounted(`${mfUrl}${1 + Math.floor(Math.random() * data.multiframe.frames)}`, { Accept: accept.frames }, agent),
    budget.slow ? 20 : 500,
  );
  log(
    `${server.name}: multi-frame frame p50 ${round(mf.latency.p50)} ms p95 ${round(mf.latency.p95)} ms (${mf.requests} requests)`,
  );

  // Rendered JPEG of a random slice (512²), 8 in flight, every request another window: decoded, windowed and
  // encoded each time, never a cache hit.
  let renderings = 0;
  const renderedOf = () => {
    const n = renderings++;
    return getCounted(
      `${seriesUrl}/instances/${sops[n % sops.length]}/rendered?window=${40 + (n % 4000)},${400 + Math.floor(n / 4000)},linear`,
      { Accept: 'image/jpeg' },
      agent,
    ).then((r) => {
      if (r.status !== 200) throw new Error(`${server.name}: rendered answered ${r.status}`);
      return r;
    });
  };
  await closedLoop(8, 1, renderedOf);
  const rendered = await closedLoop(8, seconds, renderedOf);
  const renderedPerSecond = rendered.requests / rendered.seconds;
  log(`${server.name}: rendered JPEG ${round(renderedPerSecond)} /s, p95 ${round(rendered.latency.p95)} ms`);

  // Series retrieve: the originals of all 500 instances, one multipart/related stream.
  let best = 0;
  let bytes = 0;
  for (let i = 0; i < (budget.slow ? 2 : 4); i++) {
    const r = await getCounted(seriesUrl, { Accept: accept.instances }, agent);
    if (r.status !== 200) throw new Error(`${server.name}: series retrieve answered ${r.status}`);
    bytes = r.bytes;
    best = Math.max(best, r.bytes / (r.ms / 1000) / 1e9);
  }
  log(`${server.name}: series retrieve ${round(best, 2)} GB/s (${round(bytes / 1e6)} MB)`);
  agent.destroy();
  return {
    metadataCold,
    metadataWarm,
    metadataBytes,
    framesPerSecond,
    framesLatency: frames.latency,
    multiframe: mf.latency,
    seriesRetrieveGBps: best,
    seriesRetrieveBytes: bytes,
    renderedPerSecond,
    renderedLatency: rendered.latency,
  };
}

/**
 * Ours only (Orthanc's DICOMweb plugin has no thumbnail resource): instance thumbnails of random slices, 8 in
 * flight; they were made at ingest, so this is the stored (or cached) thumbnail being served.
 */
async function measureThumbnails(server: Server, data: BenchData): Promise<{ perSecond: number; latency: Latencies }> {
  const seriesUrl = `${server.base}/studies/${data.study}/series/${data.series.uid}`;
  const agent = httpAgent(8);
  const sops = data.series.sops;
  const thumbnailOf = () =>
    getCounted(
      `${seriesUrl}/instances/${sops[Math.floor(Math.random() * sops.length)]}/thumbnail`,
      { Accept: 'image/jpeg' },
      agent,
    );
  await closedLoop(8, 1, thumbnailOf);
  const run = await closedLoop(8, seconds, thumbnailOf);
  agent.destroy();
  const perSecond = run.requests / run.seconds;
  log(`${server.name}: thumbnails ${round(perSecond)} /s, p95 ${round(run.latency.p95)} ms`);
  return { perSecond, latency: run.latency };
}

/** Ours only: metadata with the content codings a browser asks for. */
async function measureCodings(
  server: Server,
  data: BenchData,
): Promise<Record<string, { p50: number; bytes: number }>> {
  const url = `${server.base}/studies/${data.study}/series/${data.series.uid}/metadata`;
  const agent = httpAgent(1);
  const out: Record<string, { p50: number; bytes: number }> = {};
  for (const coding of ['gzip', 'br']) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 22; i++) {
      const r = await getBody(url, { Accept: accept.metadata, 'Accept-Encoding': coding }, agent);
      if (r.headers['content-encoding'] !== coding) throw new Error(`no ${coding} content coding`);
      if (i >= 2) times.push(r.ms);
      bytes = r.bytes;
    }
    out[coding] = { p50: latencies(times).p50, bytes };
  }
  agent.destroy();
  return out;
}

// ----------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  if (fresh) rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores)`,
  );
  const data = await makeBenchData(join(work, 'data'));
  // Ours starts empty every run (the index's migrations may have changed since the last one) and is loaded
  // through STOW-RS; Orthanc keeps its storage between runs unless --fresh.
  rmSync(join(work, 'ours'), { recursive: true, force: true });
  const ours = await startOurs(buildDir, join(work, 'ours'), join(work, 'ours.log'));
  const orthanc = await startOrthanc(repoRoot, join(work, 'infra'));
  try {
    await loadOurs(ours, data);
    await loadOrthanc(orthanc.rest, orthanc.base, data);
    await new Promise((r) => setTimeout(r, 3000)); // our series documents are rebuilt a second after ingest

    const cat = catThroughput(data.multiframe.file);
    const trivial1M = await trivialServerThroughput(data.multiframe.file, 1 << 20);
    const trivial64k = await trivialServerThroughput(data.multiframe.file, 1 << 16);
    log(
      `ceilings: cat → /dev/null ${round(cat, 2)} GB/s; trivial Node file server ${round(trivial1M, 2)} GB/s (1 MiB reads), ${round(trivial64k, 2)} GB/s (64 KiB reads)`,
    );

    const o = await measure(ours, data, { slow: false });
    const codings = await measureCodings(ours, data);
    const thumbnails = await measureThumbnails(ours, data);
    const t = await measure(orthanc, data, { slow: true });

    rows.push(
      {
        scenario: 'series metadata, 500 instances, cold',
        unit: 'ms',
        ours: o.metadataCold,
        orthanc: t.metadataCold,
        better: 'lower',
        target: '≤150 ms',
        met: o.metadataCold <= 150,
      },
      {
        scenario: 'series metadata, warm p50',
        unit: 'ms',
        ours: o.metadataWarm.p50,
        orthanc: t.metadataWarm.p50,
        better: 'lower',
        target: '≤30 ms',
        met: o.metadataWarm.p50 <= 30,
      },
      {
        scenario: 'series metadata, warm p95',
        unit: 'ms',
        ours: o.metadataWarm.p95,
        orthanc: t.metadataWarm.p95,
        better: 'lower',
      },
      {
        scenario: 'frames, 8 in flight',
        unit: 'frames/s',
        ours: o.framesPerSecond,
        orthanc: t.framesPerSecond,
        better: 'higher',
        target: '≥2000/s',
        met: o.framesPerSecond >= 2000,
      },
      {
        scenario: 'frames, 8 in flight, p95',
        unit: 'ms',
        ours: o.framesLatency.p95,
        orthanc: t.framesLatency.p95,
        better: 'lower',
      },
      {
        scenario: 'frame of 800-frame 419 MB multi-frame, p50',
        unit: 'ms',
        ours: o.multiframe.p50,
        orthanc: t.multiframe.p50,
        better: 'lower',
      },
      {
        scenario: 'frame of 800-frame 419 MB multi-frame, p95',
        unit: 'ms',
        ours: o.multiframe.p95,
        orthanc: t.multiframe.p95,
        better: 'lower',
        target: '≤10 ms',
        met: o.multiframe.p95 <= 10,
      },
      {
        scenario: 'series retrieve (262 MB)',
        unit: 'GB/s',
        ours: o.seriesRetrieveGBps,
        orthanc: t.seriesRetrieveGBps,
        better: 'higher',
        target: '≥1 GB/s',
        met: o.seriesRetrieveGBps >= 1,
      },
      {
        scenario: 'rendered JPEG 512², 8 in flight, new window each',
        unit: '/s',
        ours: o.renderedPerSecond,
        orthanc: t.renderedPerSecond,
        better: 'higher',
        target: '≥170/s',
        met: o.renderedPerSecond >= 170,
      },
      {
        scenario: 'rendered JPEG 512², p95',
        unit: 'ms',
        ours: o.renderedLatency.p95,
        orthanc: t.renderedLatency.p95,
        better: 'lower',
      },
      {
        scenario: 'thumbnails, 8 in flight (Orthanc: no such resource)',
        unit: '/s',
        ours: thumbnails.perSecond,
        orthanc: Number.NaN,
        better: 'higher',
        target: '≥3000/s',
        met: thumbnails.perSecond >= 3000,
      },
      {
        scenario: 'thumbnails, p95',
        unit: 'ms',
        ours: thumbnails.latency.p95,
        orthanc: Number.NaN,
        better: 'lower',
        target: '≤10 ms',
        met: thumbnails.latency.p95 <= 10,
      },
    );

    const ratio = (r: Row) => (r.better === 'higher' ? r.ours / r.orthanc : r.orthanc / r.ours);
    console.log('\nWADO-RS benchmark (same data, same client, same run; ratio > 1: ours is better)\n');
    console.log('| scenario | ours | Orthanc | ratio | target | met |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      const d = r.unit === 'GB/s' ? 2 : 1;
      console.log(
        `| ${r.scenario} | ${round(r.ours, d)} ${r.unit} | ${Number.isNaN(r.orthanc) ? '—' : `${round(r.orthanc, d)} ${r.unit}`} | ${Number.isNaN(r.orthanc) ? '—' : `${round(ratio(r), 1)}×`} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`,
      );
    }
    console.log(
      `\nseries metadata bodies: ours ${o.metadataBytes} bytes identity, ${codings.gzip!.bytes} gzip (p50 ${round(codings.gzip!.p50)} ms), ${codings.br!.bytes} br (p50 ${round(codings.br!.p50)} ms); Orthanc ${t.metadataBytes} bytes`,
    );
    console.log(
      `ceilings: cat → /dev/null ${round(cat, 2)} GB/s; trivial Node file → HTTP server ${round(trivial1M, 2)} GB/s with 1 MiB reads, ${round(trivial64k, 2)} GB/s with 64 KiB reads; series retrieve is ${Math.round((o.seriesRetrieveGBps / trivial1M) * 100)}% of the first`,
    );
    console.log(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (2 cores, shared with the client)`,
    );
  } finally {
    await ours.stop();
    await orthanc.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
