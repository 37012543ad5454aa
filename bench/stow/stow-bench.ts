// STOW-RS benchmarks, side by side on the same data in one run:
//   series             a 500-instance synthetic CT series (512² 16-bit, 0.5 MiB each) stored in requests of
//                      50 instances, 4 in flight; then the QIDO-RS search of its instances and the WADO-RS
//                      retrieve of the whole series: instances/s and MiB/s
//   store-then-search  N single-instance STOW-RS requests, each followed at once by a QIDO-RS search for the
//                      instance: request p50/p95 and the store-then-search latency, and how many were found
//
// usage: npm run bench -- stow [--targets embedded,cluster,orthanc] [--series 500] [--latency 1000]
import { generateUid } from '@pacs/dicom';
import { performance } from 'node:perf_hooks';
import { syntheticInstance } from '../support/synthetic';
import { percentile, stow, stowChunks } from '../support/stow-client';
import { startCluster, startEmbedded, startOrthanc, type Target } from '../support/targets';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const targetNames = (args.get('targets') ?? 'embedded,cluster,orthanc').split(',');
const seriesSize = Number(args.get('series') ?? 500);
const latencyCount = Number(args.get('latency') ?? 1000);
const MiB = 1024 * 1024;

interface Result {
  target: string;
  stowInstancesPerSecond: number;
  stowMiBPerSecond: number;
  qidoSeriesMs: number;
  retrieveMiBPerSecond: number;
  requestP50: number;
  requestP95: number;
  searchP50: number;
  searchP95: number;
  found: number;
}

async function pool<T>(items: T[], inFlight: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function seriesScenario(
  target: Target,
): Promise<Pick<Result, 'stowInstancesPerSecond' | 'stowMiBPerSecond' | 'qidoSeriesMs' | 'retrieveMiBPerSecond'>> {
  const study = generateUid();
  const series = generateUid();
  const instances = await Promise.all(
    Array.from({ length: seriesSize }, (_, n) =>
      syntheticInstance({ study, series, patientId: `BENCH-${study.slice(-8)}`, instanceNumber: n + 1 }),
    ),
  );
  const bytes = instances.reduce((sum, i) => sum + i.length, 0);
  const batches: Buffer[][] = [];
  for (let i = 0; i < instances.length; i += 50) batches.push(instances.slice(i, i + 50));
  const t0 = performance.now();
  await pool(batches, 4, async (batch) => {
    const response = await stow(`${target.baseUrl}/studies`, stowChunks(batch));
    if (response.status !== 200)
      throw new Error(`${target.name}: STOW answered ${response.status}: ${response.text.slice(0, 300)}`);
  });
  const stowSeconds = (performance.now() - t0) / 1000;

  const q0 = performance.now();
  const search = await fetch(`${target.baseUrl}/studies/${study}/series/${series}/instances?limit=1000`, {
    headers: { Accept: 'application/dicom+json' },
  });
  const found = (await search.json()) as unknown[];
  const qidoSeriesMs = performance.now() - q0;
  if (found.length !== seriesSize) throw new Error(`${target.name}: QIDO found ${found.length} of ${seriesSize}`);

  const r0 = performance.now();
  const retrieve = await fetch(`${target.baseUrl}/studies/${study}/series/${series}`, {
    headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
  });
  let received = 0;
  for await (const chunk of retrieve.body as unknown as AsyncIterable<Uint8Array>) received += chunk.length;
  const retrieveSeconds = (performance.now() - r0) / 1000;
  if (received < bytes)
    throw new Error(`${target.name}: series retrieve gave ${received} bytes, expected at least ${bytes}`);
  return {
    stowInstancesPerSecond: seriesSize / stowSeconds,
    stowMiBPerSecond: bytes / MiB / stowSeconds,
    qidoSeriesMs,
    retrieveMiBPerSecond: received / MiB / retrieveSeconds,
  };
}

async function storeThenSearch(
  target: Target,
): Promise<Pick<Result, 'requestP50' | 'requestP95' | 'searchP50' | 'searchP95' | 'found'>> {
  const study = generateUid();
  const series = generateUid();
  const requestMs: number[] = [];
  const searchMs: number[] = [];
  let found = 0;
  for (let n = 0; n < latencyCount; n++) {
    const sop = generateUid();
    const instance = await syntheticInstance({
      study,
      series,
      sop,
      patientId: 'BENCH-LATENCY',
      instanceNumber: n + 1,
      rows: 64,
      columns: 64,
    });
    const t0 = performance.now();
    const response = await stow(`${target.baseUrl}/studies`, stowChunks([instance]));
    const t1 = performance.now();
    if (response.status !== 200) throw new Error(`${target.name}: STOW answered ${response.status}`);
    const search = await fetch(`${target.baseUrl}/instances?SOPInstanceUID=${sop}`, {
      headers: { Accept: 'application/dicom+json' },
    });
    const text = await search.text();
    const t2 = performance.now();
    if (search.status === 200 && text.includes(sop)) found++;
    requestMs.push(t1 - t0);
    searchMs.push(t2 - t0);
  }
  return {
    requestP50: percentile(requestMs, 50),
    requestP95: percentile(requestMs, 95),
    searchP50: percentile(searchMs, 50),
    searchP95: percentile(searchMs, 95),
    found: (100 * found) / latencyCount,
  };
}

async function main(): Promise<void> {
  const starters: Record<string, () => Promise<Target>> = {
    embedded: startEmbedded,
    cluster: startCluster,
    orthanc: startOrthanc,
  };
  const results: Result[] = [];
  for (const name of targetNames) {
    const target = await starters[name]!();
    try {
      console.error(`${target.name}: series scenario (${seriesSize} × 0.5 MiB)…`);
      const s = await seriesScenario(target);
      console.error(`${target.name}: store-then-search (${latencyCount} single-instance STOWs)…`);
      const l = await storeThenSearch(target);
      results.push({ target: target.name, ...s, ...l });
    } finally {
      await target.stop();
    }
  }
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(
    `\nSTOW-RS benchmark (${seriesSize}-instance series; ${latencyCount} store-then-search), ${new Date().toISOString()}`,
  );
  console.log(
    '| target | STOW inst/s | STOW MiB/s | QIDO series ms | retrieve MiB/s | STOW p50 ms | STOW p95 ms | store→found p50 ms | store→found p95 ms | found % |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.target} | ${f(r.stowInstancesPerSecond)} | ${f(r.stowMiBPerSecond)} | ${f(r.qidoSeriesMs)} | ${f(r.retrieveMiBPerSecond)} | ${f(r.requestP50)} | ${f(r.requestP95)} | ${f(r.searchP50)} | ${f(r.searchP95)} | ${f(r.found, 0)} |`,
    );
  }
  const orthanc = results.find((r) => r.target === 'orthanc');
  if (orthanc) {
    console.log('\nRatios to Orthanc (higher is better for throughput, lower for latency):');
    for (const r of results.filter((x) => x !== orthanc)) {
      console.log(
        `- ${r.target}: STOW ${f(r.stowInstancesPerSecond / orthanc.stowInstancesPerSecond, 2)}× inst/s, retrieve ${f(r.retrieveMiBPerSecond / orthanc.retrieveMiBPerSecond, 2)}× MiB/s, QIDO ${f(r.qidoSeriesMs / orthanc.qidoSeriesMs, 2)}× time, store→found p95 ${f(r.searchP95 / orthanc.searchP95, 2)}× time`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
