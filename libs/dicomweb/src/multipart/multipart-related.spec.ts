import fc from 'fast-check';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { parseMultipartRelated } from './parse-multipart-related';
import { multipartRelated, type OutgoingPart } from './multipart-related';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits `body` at the given sizes (cycled), the way a network would. */
function rechunk(body: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < body.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] ?? 1);
    chunks.push(body.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe('multipartRelated', () => {
  it('writes the RFC 2046 syntax: boundary lines, headers, the CRLF before each boundary, the close delimiter', async () => {
    const { contentType, stream } = multipartRelated(
      [
        { headers: { 'Content-Type': 'application/dicom' }, body: Buffer.from('one') },
        { headers: {}, body: Readable.from([Buffer.from('tw'), Buffer.from('o')]) },
      ],
      { type: 'application/dicom', boundary: 'B0und' },
    );
    expect(contentType).toBe('multipart/related; type="application/dicom"; boundary=B0und');
    expect((await collect(stream)).toString()).toBe(
      '--B0und\r\nContent-Type: application/dicom\r\n\r\none\r\n--B0und\r\n\r\ntwo\r\n--B0und--\r\n',
    );
  });

  it('adds Content-Type parameters and quotes a boundary that is not a token', () => {
    const { contentType } = multipartRelated([], {
      type: 'application/octet-stream',
      boundary: 'a b?c',
      params: { 'transfer-syntax': '1.2.840.10008.1.2.1' },
    });
    expect(contentType).toBe(
      'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1; boundary="a b?c"',
    );
  });

  it('writes a fresh random boundary each time', () => {
    const a = multipartRelated([], { type: 'application/dicom' }).contentType;
    const b = multipartRelated([], { type: 'application/dicom' }).contentType;
    expect(a).toMatch(/boundary=pacs-[0-9a-f]{48}$/);
    expect(a).not.toBe(b);
  });

  it('writes only the close delimiter when there are no parts', async () => {
    const { stream } = multipartRelated([], { type: 'application/dicom', boundary: 'b' });
    expect((await collect(stream)).toString()).toBe('--b--\r\n');
  });

  it('refuses an invalid boundary', () => {
    expect(() => multipartRelated([], { type: 'application/dicom', boundary: 'bad;boundary' })).toThrow(/boundary/);
  });

  it('fails the stream for a header that would break the syntax', async () => {
    const { stream } = multipartRelated([{ headers: { 'X-Evil': 'a\r\nInjected: 1' }, body: Buffer.alloc(0) }], {
      type: 'application/dicom',
    });
    await expect(collect(stream)).rejects.toThrow(/Invalid multipart part header/);
  });

  it('pulls part bodies only as fast as the output is read (backpressure)', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    const { stream } = multipartRelated([{ headers: {}, body: endless }], { type: 'application/octet-stream' });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    for (let i = 0; i < 20; i++) await tick();
    expect(produced).toBeLessThan(10);
    stream.destroy();
    await tick();
    // The client went away: the part's source is released.
    expect(endless.destroyed).toBe(true);
  });

  it('releases a part whose header was written when the output is destroyed before its body is read', async () => {
    const bodies = [Readable.from([Buffer.from('first')]), new Readable({ read() {} })];
    const { stream } = multipartRelated(
      bodies.map((body) => ({ headers: {}, body })),
      { type: 'application/octet-stream' },
    );
    const iterator = stream[Symbol.asyncIterator]();
    let seen = '';
    while (!/--\S+\r\n\r\n$/.test(seen) || !seen.includes('first')) {
      seen += String(((await iterator.next()).value as Buffer).toString('latin1'));
    }
    // The output stops right after the second part's header: its body, opened and never read, is released.
    stream.destroy();
    await tick();
    await tick();
    expect(bodies[1]!.destroyed).toBe(true);
  });

  it('releases the part whose header is refused', async () => {
    const body = new Readable({ read() {} });
    const { stream } = multipartRelated([{ headers: { 'Bad Name': 'x' }, body }], { type: 'application/dicom' });
    await expect(collect(stream)).rejects.toThrow(/Invalid multipart part header/);
    expect(body.destroyed).toBe(true);
  });

  it('asks for the next part only when the previous one is written', async () => {
    const asked: number[] = [];
    async function* parts(): AsyncGenerator<OutgoingPart> {
      for (let i = 0; i < 3; i++) {
        asked.push(i);
        yield { headers: {}, body: Buffer.alloc(1024 * 1024, i) };
      }
    }
    const { stream } = multipartRelated(parts(), { type: 'application/octet-stream' });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect(asked).toEqual([0]);
    stream.destroy();
  });

  it('round-trips through parseMultipartRelated for any bodies and any chunking', async () => {
    const part = fc.record({
      contentType: fc.option(fc.constantFrom('application/dicom', 'application/octet-stream', 'image/jpeg'), {
        nil: undefined,
      }),
      location: fc.option(fc.webUrl(), { nil: undefined }),
      // Bodies rich in the bytes of the syntax: CR, LF, "-", and the start of the boundary.
      body: fc.oneof(
        fc.uint8Array({ maxLength: 3000 }),
        fc
          .array(fc.constantFrom('\r', '\n', '-', '--', '\r\n--', '\r\n--pacs-', 'x', '\r\n\r\n'), { maxLength: 200 })
          .map((pieces) => new Uint8Array(Buffer.from(pieces.join(''), 'latin1'))),
      ),
      // Write a body as one Buffer or as a stream of chunks.
      asStream: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(part, { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
        async (parts, sizes) => {
          const outgoing: OutgoingPart[] = parts.map((p) => {
            const headers: Record<string, string> = {};
            if (p.contentType) headers['Content-Type'] = p.contentType;
            if (p.location) headers['Content-Location'] = p.location;
            const body = Buffer.from(p.body);
            return { headers, body: p.asStream ? Readable.from(rechunk(body, sizes)) : body };
          });
          const { contentType, stream } = multipartRelated(outgoing, { type: 'application/dicom' });
          const wire = await collect(stream);
          const read: { headers: Record<string, string>; body: Buffer }[] = [];
          const limits = { maxPartHeaderBytes: 8192, maxParts: 10 };
          for await (const p of parseMultipartRelated(Readable.from(rechunk(wire, sizes)), contentType, limits)) {
            read.push({ headers: { ...p.headers }, body: await collect(p.body) });
          }
          expect(read).toEqual(
            parts.map((p) => ({
              headers: {
                ...(p.contentType ? { 'content-type': p.contentType } : {}),
                ...(p.location ? { 'content-location': p.location } : {}),
              },
              body: Buffer.from(p.body),
            })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
