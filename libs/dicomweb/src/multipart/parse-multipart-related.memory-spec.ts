// Memory: a 1 GiB part goes through the writer and the reader while RSS stays flat.
// Catches: a part or a body held whole (Buffer.concat of chunks), a read-ahead that ignores backpressure.
// Does not catch: slow leaks far below the bound, memory held by the consumer (here it only counts bytes).
// Runs only with MEMORY_TESTS=1:
//   MEMORY_TESTS=1 npx jest -c jest.config.js --testMatch '<rootDir>/libs/dicomweb/**/*.memory-spec.ts'
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { multipartRelated } from './multipart-related';
import { parseMultipartRelated } from './parse-multipart-related';

const run = process.env.MEMORY_TESTS === '1' ? describe : describe.skip;

const GiB = 1024 * 1024 * 1024;
const chunkSize = 1024 * 1024;
/** RSS growth allowed over the whole run: buffers in flight, V8 heap noise; far below the part's size. */
const allowedGrowth = 96 * 1024 * 1024;

/** `size` bytes made on the fly; every chunk differs, so nothing can be shared or deduplicated. */
function generated(size: number): Readable {
  let sent = 0;
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, size - sent);
      const chunk = Buffer.allocUnsafe(n);
      chunk.fill(sent / chunkSize);
      chunk.writeUInt32BE(sent >>> 0, 0);
      sent += n;
      this.push(chunk);
    },
  });
}

run('parseMultipartRelated memory', () => {
  it('streams a 1 GiB part with flat memory', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);

    const expected = createHash('sha256');
    for await (const chunk of generated(GiB)) expected.update(chunk as Buffer);
    const source = generated(GiB);
    const { contentType, stream } = multipartRelated(
      [{ headers: { 'Content-Type': 'application/dicom' }, body: source }],
      {
        type: 'application/dicom',
      },
    );

    const actual = createHash('sha256');
    let total = 0;
    for await (const part of parseMultipartRelated(stream, contentType, { maxPartHeaderBytes: 8192, maxParts: 10 })) {
      for await (const chunk of part.body) {
        total += (chunk as Buffer).length;
        actual.update(chunk as Buffer);
      }
    }
    clearInterval(sample);

    expect(total).toBe(GiB);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));
    expect(peak - before).toBeLessThan(allowedGrowth);
  }, 300_000);
});
