// Memory: replacing the Patient module of a 2 GiB native multi-frame instance as it streams keeps the
// process's memory flat.
// Catches: the splice holding the pixel data (or the rest of the file) — buffering chunks, concatenating the
// tail, queueing views — which would grow RSS by gigabytes.
// Does not catch: growth smaller than the bound below, or memory held by a slow consumer downstream (the null
// sink here always keeps up).
// Run with: MEMORY_TESTS=1 npx jest -c jest.config.js --testMatch '**/replace-top-level-elements.memory-spec.ts'
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Tag } from './dictionary';
import { replaceTopLevelElements } from './replace-top-level-elements';
import { writePart10 } from './write-part10';
import { identity, imagePixel } from '../test/part10-fixtures';

const run = process.env.MEMORY_TESTS === '1' ? it : it.skip;

run(
  'replaces the patient name of a 2 GiB native multi-frame stream with flat memory',
  async () => {
    const frameBytes = 512 * 512 * 2;
    const frames = 4096; // 4096 × 512 KiB = 2 GiB
    const length = frameBytes * frames;
    // One 64 KiB buffer, yielded again and again: the source allocates nothing.
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    async function* pixels(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < length; sent += chunk.length) yield chunk;
    }
    const file = writePart10({
      dataset: identity({
        ...imagePixel(512, 512, 16, frames),
        [Tag.PatientID]: { vr: 'LO', Value: ['MEMORY'] },
        [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Old^Name' }] },
      }),
      pixelData: { value: { length, open: pixels } },
    });
    const spliced = replaceTopLevelElements(file, {
      [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'A^Longer^New^Name' }] },
    });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let total = 0;
    let head: Buffer | undefined;
    const started = Date.now();
    await pipeline(
      spliced,
      new Writable({
        write(c: Buffer, _e, cb) {
          head ??= Buffer.from(c.subarray(0, 4096));
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
      `spliced ${(total / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(1)} s (${(total / 2 ** 20 / seconds).toFixed(0)} MiB/s); ` +
        `RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB (growth ${growthMiB.toFixed(1)} MiB)`,
    );
    expect(head!.includes(Buffer.from('A^Longer^New^Name'))).toBe(true);
    expect(total).toBeGreaterThan(length);
    expect(growthMiB).toBeLessThan(64);
  },
  600_000,
);
