// Throughput of the pixel pipeline on one 512 × 512 16-bit signed CT-like frame (this machine: 2 cores).
// Run: bash libs/imaging/bench/run.sh [seconds]. Prints one line per measurement.
import { availableParallelism } from 'node:os';
import {
  decodeFrame,
  type DecodedFrame,
  encodeFrame,
  type PixelModule,
  renderFrame,
  renderThumbnail,
  TransferSyntax,
  warmUpCodecs,
} from '@pacs/imaging';

const seconds = Number(process.argv[2] ?? 3);

const ct: PixelModule = {
  rows: 512,
  columns: 512,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  bitsAllocated: 16,
  bitsStored: 16,
  highBit: 15,
  pixelRepresentation: 1,
  numberOfFrames: 1,
  modality: 'CT',
  rescaleSlope: 1,
  rescaleIntercept: -1024,
  windows: [{ center: 40, width: 400 }],
  voiLutFunction: 'LINEAR',
  voiLuts: [],
};

/** A body-like phantom: air outside a disc, soft tissue inside, bone ring, noise. */
function phantom(): Uint8Array {
  const pixels = new Int16Array(512 * 512);
  let seed = 7;
  for (let y = 0; y < 512; y++) {
    for (let x = 0; x < 512; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const r = Math.hypot(x - 256, y - 256);
      const noise = ((seed >>> 16) % 41) - 20;
      const hu = r > 230 ? -1000 : r > 210 ? 700 : 40 + 30 * Math.sin(x / 23) * Math.cos(y / 31);
      pixels[y * 512 + x] = hu + 1024 + noise;
    }
  }
  return new Uint8Array(pixels.buffer);
}

async function measure(name: string, inFlight: number, task: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await task(); // warm up
  let done = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < deadline) {
        await task();
        done++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const perSecond = done / elapsed;
  console.log(
    `${name.padEnd(58)} ${inFlight} in flight  ${perSecond.toFixed(1).padStart(8)} /s  ${((elapsed * 1000) / done).toFixed(2).padStart(7)} ms each`,
  );
  return perSecond;
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, ${availableParallelism()} cores, ${seconds} s per measurement`);
  await warmUpCodecs();
  const native = phantom();
  const decoded: DecodedFrame = await decodeFrame(TransferSyntax.ExplicitVRLittleEndian, native, ct);
  const encoded: Record<string, Buffer> = {};
  for (const ts of [
    TransferSyntax.HTJ2KLossless,
    TransferSyntax.HTJ2KLosslessRPCL,
    TransferSyntax.JPEG2000Lossless,
    TransferSyntax.JPEGLSLossless,
    TransferSyntax.JPEGLosslessSV1,
    TransferSyntax.RLELossless,
  ]) {
    encoded[ts] = (await encodeFrame(ts, decoded, ct)).bytes;
  }
  console.log(
    `compressed sizes of the ${native.length}-byte frame: ${Object.entries(encoded)
      .map(([ts, b]) => `${ts} ${b.length}`)
      .join(', ')}`,
  );

  for (const inFlight of [1, 4]) {
    await measure('decode native + render JPEG q90 (window 40/400)', inFlight, async () => {
      const frame = await decodeFrame(TransferSyntax.ExplicitVRLittleEndian, native, ct);
      return renderFrame(frame, ct, { format: 'image/jpeg', quality: 90 });
    });
  }
  await measure('decode HTJ2K lossless + render JPEG q90', 4, async () => {
    const frame = await decodeFrame(TransferSyntax.HTJ2KLossless, encoded[TransferSyntax.HTJ2KLossless], ct);
    return renderFrame(frame, ct, { format: 'image/jpeg', quality: 90 });
  });
  await measure('decode native + render PNG', 4, async () =>
    renderFrame(await decodeFrame(TransferSyntax.ExplicitVRLittleEndian, native, ct), ct, { format: 'image/png' }),
  );
  await measure('thumbnail 128×128 JPEG from native', 4, async () =>
    renderThumbnail(await decodeFrame(TransferSyntax.ExplicitVRLittleEndian, native, ct), ct),
  );
  await measure('thumbnail 128×128 JPEG from HTJ2K lossless', 4, async () =>
    renderThumbnail(await decodeFrame(TransferSyntax.HTJ2KLossless, encoded[TransferSyntax.HTJ2KLossless], ct), ct),
  );
  await measure('HTJ2K lossless encode', 1, () => encodeFrame(TransferSyntax.HTJ2KLossless, decoded, ct));
  await measure('HTJ2K lossless RPCL encode (TLM, tile-parts)', 1, () =>
    encodeFrame(TransferSyntax.HTJ2KLosslessRPCL, decoded, ct),
  );
  for (const [ts, bytes] of Object.entries(encoded)) {
    await measure(`decode ${ts}`, 1, () => decodeFrame(ts, bytes, ct));
  }
  await measure('JPEG 2000 lossless encode', 1, () => encodeFrame(TransferSyntax.JPEG2000Lossless, decoded, ct));
  await measure('JPEG-LS lossless encode', 1, () => encodeFrame(TransferSyntax.JPEGLSLossless, decoded, ct));
  await measure('JPEG Lossless SV1 encode', 1, () => encodeFrame(TransferSyntax.JPEGLosslessSV1, decoded, ct));
  await measure('RLE Lossless encode', 1, () => encodeFrame(TransferSyntax.RLELossless, decoded, ct));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
