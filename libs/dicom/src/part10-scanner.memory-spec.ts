// Memory: scanning a 2 GiB native multi-frame instance keeps the process's memory flat.
// Catches: the scanner (or the writer feeding it) holding pixel data — concatenating chunks, keeping views of
// them, queueing them while skipping — which would grow RSS by gigabytes.
// Does not catch: growth smaller than the bound below, leaks in other code on the STOW path, or memory held
// by a slow consumer downstream (the null sink here always keeps up).
// Run with: MEMORY_TESTS=1 npx jest -c jest.config.js --testMatch '**/part10-scanner.memory-spec.ts'
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Tag } from './dictionary';
import { Part10Scanner } from './part10-scanner';
import { writePart10 } from './write-part10';
import { identity, imagePixel } from '../test/part10-fixtures';

const run = process.env.MEMORY_TESTS === '1' ? it : it.skip;

run(
  'scans a 2 GiB native multi-frame stream with flat memory',
  async () => {
    const frameBytes = 512 * 512 * 2;
    const frames = 4096; // 4096 × 512 KiB = 2 GiB
    const length = frameBytes * frames;
    // One 64 KiB buffer (the size of a socket or file read), yielded again and again: the source allocates nothing.
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    async function* pixels(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < length; sent += chunk.length) yield chunk;
    }
    const file = writePart10({
      dataset: identity({ ...imagePixel(512, 512, 16, frames), [Tag.PatientID]: { vr: 'LO', Value: ['MEMORY'] } }),
      pixelData: { value: { length, open: pixels } },
    });
    const scanner = new Part10Scanner({ maxHeaderBytes: 1024 * 1024, bulkDataThreshold: 1024 });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let total = 0;
    const started = Date.now();
    await pipeline(
      file,
      scanner,
      new Writable({
        write(c: Buffer, _e, cb) {
          total += c.length;
          if ((total & 0xfffffff) < c.length) peak = Math.max(peak, process.memoryUsage().rss);
          cb();
        },
      }),
    );
    peak = Math.max(peak, process.memoryUsage().rss);
    const seconds = (Date.now() - started) / 1000;
    const growthMiB = (peak - before) / 2 ** 20;
    console.log(
      `scanned ${(total / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(1)} s (${(total / 2 ** 20 / seconds).toFixed(0)} MiB/s); ` +
        `RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB (growth ${growthMiB.toFixed(1)} MiB)`,
    );
    const scan = scanner.result();
    expect(scan.size).toBe(total);
    expect(scan.pixelData?.length).toBe(length);
    expect(scan.pixelData?.frames).toHaveLength(frames);
    expect(growthMiB).toBeLessThan(64);
  },
  600_000,
);
