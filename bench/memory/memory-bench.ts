// Memory stays flat with object size: stores a 2 GiB synthetic instance (one 2 GiB multiframe, generated
// on the fly by the client — it never exists in memory) into the embedded process through STOW-RS, then
// retrieves it, one frame of it, and its metadata, watching the server's resident memory the whole time.
// Prints the RSS growth over the idle baseline (promise: < 100 MB).
//
// usage: npm run bench -- memory [--gib 2] [--target embedded|cluster]
import { generateUid, Tag, writePart10 } from '@pacs/dicom';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { patternPixels, syntheticDataset } from '../support/synthetic';
import { stow, stowChunks } from '../support/stow-client';
import { rssMiB, startEmbedded } from '../support/targets';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const gib = Number(args.get('gib') ?? 2);
const rows = 1024;
const columns = 1024;
const frameBytes = rows * columns * 2;
const frames = Math.ceil((gib * 1024 ** 3) / frameBytes);

async function main(): Promise<void> {
  const target = await startEmbedded();
  const pid = target.pid!;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  try {
    // Warm the process up (PGlite, codecs, JIT) with one small instance before the baseline.
    const warmStudy = generateUid();
    await stow(
      `${target.baseUrl}/studies`,
      stowChunks([
        writePart10({
          dataset: syntheticDataset({
            study: warmStudy,
            series: generateUid(),
            patientId: 'MEM',
            rows: 64,
            columns: 64,
          }),
          pixelData: { vr: 'OW', value: patternPixels(64 * 64 * 2) },
        }),
      ]),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = rssMiB(pid);
    peak = baseline;

    const study = generateUid();
    const series = generateUid();
    const sop = generateUid();
    const dataset = syntheticDataset({ study, series, sop, patientId: 'MEM-2GB', rows, columns, frames });
    const hash = createHash('sha256');
    async function* instance() {
      for await (const chunk of writePart10({
        dataset,
        pixelData: { vr: 'OW', value: patternPixels(frames * frameBytes) },
      })) {
        hash.update(chunk as Uint8Array);
        yield chunk as Uint8Array;
      }
    }
    const t0 = performance.now();
    const stored = await stow(`${target.baseUrl}/studies`, stowChunks([instance()]));
    const storeSeconds = (performance.now() - t0) / 1000;
    if (stored.status !== 200) throw new Error(`STOW answered ${stored.status}: ${stored.text.slice(0, 300)}`);
    const storePeak = peak;
    const sent = hash.digest('hex');

    const url = `${target.baseUrl}/studies/${study}/series/${series}/instances/${sop}`;
    const r0 = performance.now();
    const response = await fetch(url, { headers: { Accept: 'application/dicom; transfer-syntax=*' } });
    const back = createHash('sha256');
    let bytes = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      back.update(chunk);
      bytes += chunk.length;
    }
    const retrieveSeconds = (performance.now() - r0) / 1000;
    const f0 = performance.now();
    const frame = await fetch(`${url}/frames/${frames}`, {
      headers: { Accept: 'multipart/related; type="application/octet-stream"' },
    });
    const frameLength = (await frame.arrayBuffer()).byteLength;
    const frameMs = performance.now() - f0;
    const metadata = (await (await fetch(`${url}/metadata`)).json()) as Record<string, { Value?: unknown[] }>[];

    const size = bytes / 1024 ** 3;
    console.log(
      `\nMemory with a ${size.toFixed(2)} GiB instance (${frames} frames of ${rows}×${columns}×16 bit), embedded process`,
    );
    console.log(`| step | time | server RSS peak over baseline (${baseline.toFixed(0)} MiB) |`);
    console.log('|---|---|---|');
    console.log(
      `| STOW-RS | ${storeSeconds.toFixed(1)} s (${((size * 1024) / storeSeconds).toFixed(0)} MiB/s) | ${(storePeak - baseline).toFixed(1)} MiB |`,
    );
    console.log(
      `| WADO-RS instance | ${retrieveSeconds.toFixed(1)} s (${((size * 1024) / retrieveSeconds).toFixed(0)} MiB/s) | ${(peak - baseline).toFixed(1)} MiB |`,
    );
    console.log(`| last frame (${frameLength} bytes in the response) | ${frameMs.toFixed(1)} ms | |`);
    const exact = back.digest('hex') === sent;
    console.log(
      `bit-exact: ${exact ? 'yes' : 'NO'}; metadata NumberOfFrames: ${metadata[0]?.[Tag.NumberOfFrames]?.Value?.[0]}`,
    );
    const growth = peak - baseline;
    console.log(`RSS growth: ${growth.toFixed(1)} MiB (${growth < 100 ? 'within' : 'OVER'} the 100 MB bound)`);
    if (growth >= 100 || !exact) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await target.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
