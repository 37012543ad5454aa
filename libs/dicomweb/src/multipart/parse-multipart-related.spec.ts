import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { DicomwebError } from '../errors/dicomweb-error';
import { parseMultipartRelated, type MultipartLimits } from './parse-multipart-related';

const limits: MultipartLimits = { maxPartHeaderBytes: 1024, maxParts: 100 };
const contentType = 'multipart/related; type="application/dicom"; boundary=XyZ-boundary';

interface ReadPart {
  headers: Record<string, string>;
  contentType?: string;
  body: string;
}

/** Reads every part (test bodies are small) as latin1 strings, so any byte survives the comparison. */
async function readAll(source: Readable, type = contentType, l: MultipartLimits = limits): Promise<ReadPart[]> {
  const parts: ReadPart[] = [];
  for await (const part of parseMultipartRelated(source, type, l)) {
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) chunks.push(chunk as Buffer);
    parts.push({
      headers: { ...part.headers },
      ...(part.contentType === undefined ? {} : { contentType: part.contentType }),
      body: Buffer.concat(chunks).toString('latin1'),
    });
  }
  return parts;
}

const chunked = (body: Buffer, ...cuts: number[]): Readable => {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    chunks.push(body.subarray(from, cut));
    from = cut;
  }
  return Readable.from(chunks);
};

const bytewise = (body: Buffer): Readable => Readable.from([...body].map((b) => Buffer.from([b])));

async function expectError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<DicomwebError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DicomwebError);
  expect((error as DicomwebError).code).toBe(code);
  if (message) expect((error as DicomwebError).message).toMatch(message);
  return error as DicomwebError;
}

// A body that exercises the syntax: a preamble that mentions the boundary in the middle of a line, a part
// whose body holds CRLFs, "--" and every prefix of the delimiter, an empty part, a part without headers,
// transport padding after a boundary, and an epilogue.
const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d, 0x0d, 0x0d, 0x0a, 0x0a, 0x80]);
const crafted = Buffer.concat([
  Buffer.from('This is the preamble. It mentions --XyZ-boundary but not at a line start.\r\n'),
  Buffer.from('--XyZ-boundary\r\n'),
  Buffer.from('Content-Type: application/dicom; transfer-syntax=1.2.840.10008.1.2.1\r\n'),
  Buffer.from('Content-Location: https://example.org/a\r\n\r\n'),
  Buffer.from('line one\r\n\r\n--XyZ\r\n--XyZ-boundar\r\n-XyZ-boundary\n--XyZ-boundary-not-at-line-start?'),
  binary,
  Buffer.from('\r\n--XyZ-boundary  \t\r\n'),
  Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
  Buffer.from('\r\n--XyZ-boundary\r\n'),
  Buffer.from('\r\nno headers here\r\n'),
  Buffer.from('\r\n--XyZ-boundary--\r\nThis is the epilogue, with --XyZ-boundary in it.\r\n'),
]);
const craftedParts: ReadPart[] = [
  {
    headers: {
      'content-type': 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1',
      'content-location': 'https://example.org/a',
    },
    contentType: 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1',
    body: `line one\r\n\r\n--XyZ\r\n--XyZ-boundar\r\n-XyZ-boundary\n--XyZ-boundary-not-at-line-start?${binary.toString('latin1')}`,
  },
  { headers: { 'content-type': 'application/octet-stream' }, contentType: 'application/octet-stream', body: '' },
  { headers: {}, body: 'no headers here\r\n' },
];

describe('parseMultipartRelated', () => {
  it('reads the parts of a crafted body in one chunk', async () => {
    await expect(readAll(Readable.from([crafted]))).resolves.toEqual(craftedParts);
  });

  it('reads the same parts whatever byte the body is split at', async () => {
    for (let cut = 0; cut <= crafted.length; cut++) {
      const parts = await readAll(chunked(crafted, cut));
      expect({ cut, parts }).toEqual({ cut, parts: craftedParts });
    }
  });

  it('reads the same parts when the body is split at two places close to each other', async () => {
    for (let cut = 0; cut < crafted.length; cut += 3) {
      for (const gap of [1, 2, 5, 17]) {
        const second = Math.min(cut + gap, crafted.length);
        expect(await readAll(chunked(crafted, cut, second))).toEqual(craftedParts);
      }
    }
  });

  it('reads the same parts from one-byte chunks', async () => {
    await expect(readAll(bytewise(crafted))).resolves.toEqual(craftedParts);
  });

  it('takes the boundary from a quoted parameter with spaces, case-sensitively', async () => {
    const body = Buffer.from('--a B:c\r\n\r\nx\r\n--a b:c\r\ny\r\n--a B:c--');
    const parts = await readAll(Readable.from([body]), 'Multipart/Related; boundary="a B:c"');
    expect(parts).toEqual([{ headers: {}, body: 'x\r\n--a b:c\r\ny' }]);
  });

  it('reads a body whose lines end in a bare LF', async () => {
    const body = Buffer.from('--b\nContent-Type: text/plain\n\nfirst\r\n\n--b\n\nsecond\n--b--\n');
    const parts = await readAll(chunked(body, 5, 9), 'multipart/related; boundary=b');
    expect(parts.map((p) => p.body)).toEqual(['first\r\n', 'second']);
    expect(parts[0]!.contentType).toBe('text/plain');
  });

  it('keeps a trailing CR of a body when the delimiters use CRLF (no bytes lost to LF tolerance)', async () => {
    const body = Buffer.from('--b\r\n\r\nends with CR\r\r\n--b--');
    expect((await readAll(Readable.from([body]), 'multipart/related; boundary=b'))[0]!.body).toBe('ends with CR\r');
  });

  it('reads a part whose empty body is directly followed by the boundary', async () => {
    const body = Buffer.from('--b\r\nContent-Type: a/b\r\n\r\n--b\r\n\r\nnext\r\n--b--');
    const parts = await readAll(Readable.from([body]), 'multipart/related; boundary=b');
    expect(parts.map((p) => p.body)).toEqual(['', 'next']);
  });

  it('yields no part for a body that is only a close delimiter', async () => {
    await expect(readAll(Readable.from([Buffer.from('--b--\r\n')]), 'multipart/related; boundary=b')).resolves.toEqual(
      [],
    );
  });

  it('joins repeated and folded header fields', async () => {
    const body = Buffer.from('--b\r\nX-A: 1\r\nx-a: 2\r\nX-Long: one\r\n  two\r\n\r\nz\r\n--b--');
    const [part] = await readAll(Readable.from([body]), 'multipart/related; boundary=b');
    expect(part!.headers).toEqual({ 'x-a': '1, 2', 'x-long': 'one two' });
  });

  it('gives header fields without an inherited prototype, so "__proto__" is just a name', async () => {
    const body = Buffer.from('--b\r\n__proto__: x\r\n\r\nz\r\n--b--');
    for await (const part of parseMultipartRelated(Readable.from([body]), 'multipart/related; boundary=b', limits)) {
      expect(Object.getPrototypeOf(part.headers)).toBeNull();
      expect(part.headers['__proto__']).toBe('x');
      part.body.resume();
    }
  });

  it('reads string and Uint8Array chunks as bytes', async () => {
    const source = Readable.from(['--b\r\n\r\nab', new Uint8Array([0x63, 0x0d, 0x0a]), '--b--']);
    expect((await readAll(source, 'multipart/related; boundary=b'))[0]!.body).toBe('abc');
  });

  describe('rejects the Content-Type', () => {
    it.each([
      [undefined, 'UnsupportedMediaType'],
      ['', 'UnsupportedMediaType'],
      ['application/dicom', 'UnsupportedMediaType'],
      ['multipart/mixed; boundary=b', 'UnsupportedMediaType'],
      ['multipart/related', 'BadRequest'],
      ['multipart/related; type="application/dicom"', 'BadRequest'],
      ['multipart/related; boundary=""', 'BadRequest'],
      ['multipart/related; boundary="ends with space "', 'BadRequest'],
      ['multipart/related; boundary="semi;colon"', 'BadRequest'],
      [`multipart/related; boundary=${'x'.repeat(71)}`, 'BadRequest'],
    ])('of %p with %s, at once', (type, code) => {
      let thrown: unknown;
      try {
        parseMultipartRelated(Readable.from([]), type, limits);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DicomwebError);
      expect((thrown as DicomwebError).code).toBe(code);
    });

    it('but accepts a boundary of 70 characters', async () => {
      const boundary = 'x'.repeat(70);
      const body = Buffer.from(`--${boundary}\r\n\r\nok\r\n--${boundary}--`);
      await expect(readAll(Readable.from([body]), `multipart/related; boundary=${boundary}`)).resolves.toEqual([
        { headers: {}, body: 'ok' },
      ]);
    });
  });

  it('answers 400 when the body has no boundary at all', async () => {
    await expectError(
      readAll(Readable.from([Buffer.from('just some bytes\r\n')])),
      'BadRequest',
      /no multipart boundary/,
    );
  });

  it('answers 400 when the preamble is longer than allowed, without reading the whole body', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1;
        this.push(Buffer.alloc(16 * 1024, 0x61));
      },
    });
    await expectError(
      readAll(endless, contentType, { ...limits, maxPreambleBytes: 100_000 }),
      'BadRequest',
      /first 100000 bytes/,
    );
    expect(produced).toBeLessThan(20);
    endless.destroy();
  });

  it('answers 400 for a malformed boundary line', async () => {
    const body = Buffer.from('--XyZ-boundary garbage\r\n\r\nx\r\n--XyZ-boundary--');
    await expectError(readAll(Readable.from([body])), 'BadRequest', /boundary line/);
  });

  describe('when the body ends before the close delimiter', () => {
    const closeAt = crafted.indexOf('--XyZ-boundary--') + '--XyZ-boundary--'.length;

    it('fails the part being read and the iteration, at every cut point', async () => {
      const firstBodyAt = crafted.indexOf('line one');
      const firstBodyEnd = crafted.indexOf('\r\n--XyZ-boundary  ');
      for (let cut = firstBodyAt; cut < closeAt; cut++) {
        const source = Readable.from([crafted.subarray(0, cut)]);
        const bodyErrors: unknown[] = [];
        const iteration = (async () => {
          for await (const part of parseMultipartRelated(source, contentType, limits)) {
            try {
              for await (const _ of part.body) void _;
            } catch (error) {
              bodyErrors.push(error);
              throw error;
            }
          }
        })();
        const error = await expectError(iteration, 'BadRequest', /ended before its closing boundary/);
        // The part in progress failed with the same error; a cut between parts fails only the iteration.
        if (cut < firstBodyEnd) expect(bodyErrors).toEqual([error]);
        else if (bodyErrors.length > 0) expect(bodyErrors[0]).toBe(error);
      }
    });

    it('fails the body stream itself, so a consumer writing it can undo', async () => {
      const cut = crafted.indexOf('line one') + 5;
      const parts = parseMultipartRelated(chunked(crafted.subarray(0, cut), 20), contentType, limits);
      const first = await parts.next();
      expect(first.done).toBe(false);
      const body = (first.value as { body: Readable }).body;
      const failed = new Promise<unknown>((resolve) => body.once('error', resolve));
      body.resume();
      const error = await failed;
      expect(error).toBeInstanceOf(DicomwebError);
      await expect(parts.next()).rejects.toBe(error);
    });

    it('still succeeds when only the epilogue is missing', async () => {
      await expect(readAll(Readable.from([crafted.subarray(0, closeAt)]))).resolves.toEqual(craftedParts);
    });
  });

  it('fails the part and the iteration with a 400 when the request stream errors', async () => {
    const source = new Readable({ read() {} });
    source.push(Buffer.from('--b\r\n\r\nstart of the body'));
    const parts = parseMultipartRelated(source, 'multipart/related; boundary=b', limits);
    const { value } = await parts.next();
    const body = (value as { body: Readable }).body;
    const failed = new Promise<unknown>((resolve) => body.once('error', resolve));
    body.resume();
    await tick();
    source.destroy(new Error('socket hang up'));
    const error = (await failed) as DicomwebError;
    expect(error.code).toBe('BadRequest');
    expect((error.cause as Error).message).toBe('socket hang up');
  });

  describe('limits', () => {
    it('accepts a header block of exactly maxPartHeaderBytes', async () => {
      const header = `X-Pad: ${'p'.repeat(100 - 'X-Pad: '.length - 4)}\r\n\r\n`;
      expect(header.length).toBe(100);
      const body = Buffer.from(`--b\r\n${header}x\r\n--b--`);
      const parts = await readAll(bytewise(body), 'multipart/related; boundary=b', {
        ...limits,
        maxPartHeaderBytes: 100,
      });
      expect(parts).toHaveLength(1);
    });

    it('answers 413 for a header block larger than maxPartHeaderBytes, whole or in small chunks', async () => {
      const header = `X-Pad: ${'p'.repeat(200)}\r\n\r\n`;
      const body = Buffer.from(`--b\r\n${header}x\r\n--b--`);
      const small = { ...limits, maxPartHeaderBytes: 100 };
      await expectError(readAll(Readable.from([body]), 'multipart/related; boundary=b', small), 'PayloadTooLarge');
      await expectError(readAll(bytewise(body), 'multipart/related; boundary=b', small), 'PayloadTooLarge');
    });

    it('answers 413 for an endless header line without reading the whole body', async () => {
      let produced = 0;
      const source = new Readable({
        read() {
          produced += 1;
          this.push(produced === 1 ? Buffer.from('--b\r\nX: ') : Buffer.alloc(4096, 0x61));
        },
      });
      await expectError(readAll(source, 'multipart/related; boundary=b'), 'PayloadTooLarge');
      // What was read: the header block up to the limit and the stream's own read-ahead (its highWaterMark).
      expect(produced * 4096).toBeLessThan(limits.maxPartHeaderBytes + source.readableHighWaterMark + 2 * 4096);
      source.destroy();
    });

    it('answers 413 after maxParts parts', async () => {
      const body = Buffer.from('--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--');
      const seen: string[] = [];
      const iteration = (async () => {
        for await (const part of parseMultipartRelated(Readable.from([body]), 'multipart/related; boundary=b', {
          ...limits,
          maxParts: 2,
        })) {
          for await (const chunk of part.body) seen.push(String(chunk));
        }
      })();
      await expectError(iteration, 'PayloadTooLarge', /more than 2 parts/);
      expect(seen).toEqual(['1', '2']);
    });
  });

  describe('malformed part headers', () => {
    it.each([
      ['a line without a colon', 'NoColonHere\r\n\r\n'],
      ['an empty name', ': value\r\n\r\n'],
      ['a space in the name', 'Bad Name: value\r\n\r\n'],
      ['a continuation line first', ' folded\r\n\r\n'],
      ['a control character in a value', 'X-A: a\x01b\r\n\r\n'],
    ])('answers 400 for %s', async (_, header) => {
      const body = Buffer.from(`--b\r\n${header}x\r\n--b--`);
      await expectError(readAll(Readable.from([body]), 'multipart/related; boundary=b'), 'BadRequest', /Malformed/);
    });
  });

  describe('consumers', () => {
    const three = Buffer.from('--b\r\n\r\nfirst body\r\n--b\r\n\r\nsecond body\r\n--b\r\n\r\nthird body\r\n--b--');

    it('skips the parts a consumer does not read', async () => {
      const seen: string[] = [];
      let n = 0;
      for await (const part of parseMultipartRelated(chunked(three, 7, 30), 'multipart/related; boundary=b', limits)) {
        n += 1;
        if (n === 2) {
          const chunks: Buffer[] = [];
          for await (const chunk of part.body) chunks.push(chunk as Buffer);
          seen.push(Buffer.concat(chunks).toString());
        }
      }
      expect(n).toBe(3);
      expect(seen).toEqual(['second body']);
    });

    it('skips the rest of a part a consumer stopped reading, and ends that part', async () => {
      const big = Buffer.alloc(1024 * 1024, 0x61);
      const body = Buffer.concat([Buffer.from('--b\r\n\r\n'), big, Buffer.from('\r\n--b\r\n\r\nsecond body\r\n--b--')]);
      const chunks = Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) =>
        body.subarray(i * 1000, i * 1000 + 1000),
      );
      const seen: string[] = [];
      let first: Readable | undefined;
      for await (const part of parseMultipartRelated(Readable.from(chunks), 'multipart/related; boundary=b', limits)) {
        if (!first) {
          first = part.body;
          const piece = (await part.body[Symbol.asyncIterator]().next()).value as Buffer;
          expect(piece.length).toBeGreaterThan(0);
          expect(piece.length).toBeLessThan(big.length);
          continue; // abandons the rest of the first body
        }
        const read: Buffer[] = [];
        for await (const chunk of part.body) read.push(chunk as Buffer);
        seen.push(Buffer.concat(read).toString());
      }
      expect(seen).toEqual(['second body']);
      expect(first!.destroyed).toBe(true);
    });

    it('reads the request only as fast as the part is consumed (backpressure)', async () => {
      let produced = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const source = new Readable({
        highWaterMark: 64 * 1024,
        read() {
          produced += 1;
          this.push(produced === 1 ? Buffer.from('--b\r\n\r\n') : chunk);
        },
      });
      const parts = parseMultipartRelated(source, 'multipart/related; boundary=b', limits);
      const { value } = await parts.next();
      const body = (value as { body: Readable }).body;
      const iterator = body[Symbol.asyncIterator]();
      await iterator.next();
      for (let i = 0; i < 20; i++) await tick();
      const before = produced;
      for (let i = 0; i < 20; i++) await tick();
      // Nothing more is pulled while the consumer waits, and little was read ahead of it.
      expect(produced).toBe(before);
      expect(produced).toBeLessThan(8);
      for (let i = 0; i < 50; i++) await iterator.next();
      expect(produced).toBeGreaterThan(50);
      await parts.return();
      source.destroy();
    });

    it('ends the part a consumer holds when it stops iterating early', async () => {
      const parts = parseMultipartRelated(Readable.from([three]), 'multipart/related; boundary=b', limits);
      const { value } = await parts.next();
      await parts.return();
      expect((value as { body: Readable }).body.destroyed).toBe(true);
    });

    it('leaves the request alone when the consumer stops early (the error answer still has to go out)', async () => {
      const source = new Readable({ read() {} });
      source.push(three.subarray(0, 20));
      const parts = parseMultipartRelated(source, 'multipart/related; boundary=b', limits);
      await parts.next();
      await parts.return();
      expect(source.destroyed).toBe(false);
      expect(source.listenerCount('data')).toBe(0);
      // A later failure of the request is not an uncaught error.
      source.destroy(new Error('client went away'));
      await tick();
    });
  });

  it('passes body chunks on without copying them', async () => {
    const payload = Buffer.alloc(256 * 1024, 0x42);
    const input = [Buffer.from('--b\r\n\r\n'), payload, Buffer.from('\r\n--b--')];
    const out: Buffer[] = [];
    for await (const part of parseMultipartRelated(Readable.from(input), 'multipart/related; boundary=b', limits)) {
      for await (const chunk of part.body) out.push(chunk as Buffer);
    }
    expect(out).toHaveLength(1);
    expect(out[0]!.buffer).toBe(payload.buffer);
    expect(out[0]!.length).toBe(payload.length);
  });

  it('reads a 16 MiB part in 64 KiB chunks without a single chunk larger than the input chunks', async () => {
    const size = 16 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 31) & 0xff;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('--b\r\nContent-Type: application/octet-stream\r\n\r\n');
      for (let sent = 0; sent < size; sent += piece.length) yield piece;
      yield Buffer.from('\r\n--b--\r\n');
    }
    let total = 0;
    let largest = 0;
    for await (const part of parseMultipartRelated(Readable.from(source()), 'multipart/related; boundary=b', limits)) {
      for await (const chunk of part.body) {
        total += (chunk as Buffer).length;
        largest = Math.max(largest, (chunk as Buffer).length);
      }
    }
    expect(total).toBe(size);
    expect(largest).toBeLessThanOrEqual(piece.length);
  });
});
