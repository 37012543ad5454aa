// A streaming reader of multipart/related bodies (RFC 2387) with the syntax of RFC 2046 §5.1.1:
//
//   multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
//                     *encapsulation close-delimiter transport-padding [CRLF epilogue]
//   encapsulation := delimiter transport-padding CRLF body-part
//   delimiter := CRLF dash-boundary          dash-boundary := "--" boundary
//   close-delimiter := delimiter "--"        transport-padding := *LWSP-char
//
// "The CRLF preceding the boundary delimiter line is conceptually attached to the boundary", so a part's
// body ends before that CRLF. The preamble and the epilogue are ignored. Bodies whose lines end in a bare
// LF are read too: the line ending of the first boundary line decides which delimiter ("CRLF--b" or
// "LF--b") ends the bodies, so a CRLF body never loses a byte to a guess.
//
// Part bodies are streams. The body is scanned with Buffer.indexOf; only an end of a chunk that could
// begin a delimiter is held back (shorter than the delimiter), so memory stays flat whatever the size of a
// part, and chunks are passed on without copies. Nothing is read from the request ahead of what the consumer of
// the current part reads (backpressure), and the next part is read only after the current one: a part
// that the consumer leaves unread is skipped when it asks for the next.
import { Readable } from 'node:stream';
import { DicomwebError } from '../errors/dicomweb-error';
import { multipartBoundaryOf } from './boundary';
import { ChunkReader } from './chunk-reader';

export interface MultipartPart {
  /** Part header fields by lower-cased name; repeated fields are joined with ", " (RFC 7230 §3.2.2). */
  readonly headers: Readonly<Record<string, string>>;
  /** The part's Content-Type, when it has one. */
  readonly contentType?: string;
  /**
   * The part's body. It errors with the reader's DicomwebError when the request ends before the part does,
   * so a consumer writing it to storage sees the failure and can undo.
   */
  readonly body: Readable;
}

export interface MultipartLimits {
  /** Largest header block of one part, line endings included (413 beyond). */
  readonly maxPartHeaderBytes: number;
  /** Most parts in one body (413 beyond). */
  readonly maxParts: number;
  /** Longest preamble before the first boundary (400 beyond); default 64 KiB. */
  readonly maxPreambleBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const HYPHEN = 0x2d;
const isPadding = (c: number | undefined): boolean => c === 0x20 || c === 0x09;
const EMPTY = Buffer.alloc(0);
const defaultMaxPreambleBytes = 64 * 1024;
/** RFC 7230 §3.2.6 token, the syntax of a header field name. */
const headerName = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Control characters other than HTAB cannot appear in a header value (RFC 7230 §3.2). */
const invalidValueChar = /[\x00-\x08\x0a-\x1f\x7f]/;

const truncated = (cause?: unknown): DicomwebError =>
  new DicomwebError(
    'BadRequest',
    'The multipart/related body ended before its closing boundary',
    cause === undefined ? {} : { cause },
  );

/**
 * Reads the parts of a multipart/related body one after the other. The boundary comes from `contentType`
 * (quoted or not); an invalid Content-Type throws at once.
 *
 * ```ts
 * for await (const part of parseMultipartRelated(request.raw, request.headers['content-type'], limits)) {
 *   await blobStore.put(key, part.body);      // streams; the next part is read after this one
 * }
 * ```
 * Errors are DicomwebErrors: 415 (not multipart/related), 400 (missing or invalid boundary, no boundary in
 * the preamble, malformed boundary line or part headers, body ended before the close delimiter, request
 * stream failed), 413 (a header block larger than `maxPartHeaderBytes`, more than `maxParts` parts).
 * @throws DicomwebError('UnsupportedMediaType' | 'BadRequest') synchronously for a bad Content-Type.
 */
export function parseMultipartRelated(
  body: Readable,
  contentType: string | undefined,
  limits: MultipartLimits,
): AsyncGenerator<MultipartPart, void, undefined> {
  const { boundary } = multipartBoundaryOf(contentType);
  return new MultipartReader(body, boundary, limits).parts();
}

class PartBody extends Readable {
  /** The consumer asked for data (`_read`) and has not had it yet. */
  wanted = false;
  /** The consumer destroyed the stream or moved on to the next part: scanned bytes are dropped. */
  abandoned = false;

  constructor(private readonly reader: MultipartReader) {
    super();
    // A failure is reported to whoever reads the part, and always by the generator; a part nobody listens
    // to must not turn a bad request into an uncaught 'error' event.
    this.on('error', () => undefined);
  }

  override _read(): void {
    this.wanted = true;
    this.reader.pump(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.abandoned = true;
    callback(error);
  }
}

class MultipartReader {
  private readonly source: ChunkReader;
  private readonly dashBoundary: Buffer;
  /** Ends a part body: CRLF (or LF) + dash-boundary, fixed by the first boundary line. */
  private delimiter: Buffer = EMPTY;
  /** Bytes read from the request and not yet consumed. */
  private pending: Buffer = EMPTY;
  /** A part body is being scanned (its delimiter not yet found). */
  private inBody = false;
  private pumpActive = false;
  private pumpFinished: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    body: Readable,
    boundary: string,
    private readonly limits: MultipartLimits,
  ) {
    // Not body[Symbol.asyncIterator]: it copies buffered chunks together, and returning from it destroys
    // the request, and with it the socket the error response has to go out on.
    this.source = new ChunkReader(body);
    this.dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
  }

  async *parts(): AsyncGenerator<MultipartPart, void, undefined> {
    let current: PartBody | undefined;
    try {
      await this.skipPreamble();
      let closed = await this.endOfBoundaryLine(true);
      let count = 0;
      while (!closed) {
        count += 1;
        if (count > this.limits.maxParts) {
          throw new DicomwebError('PayloadTooLarge', `The multipart body has more than ${this.limits.maxParts} parts`);
        }
        const headers = await this.readHeaders();
        await this.startBody();
        current = new PartBody(this);
        if (!this.inBody) current.push(null); // an empty body, already behind us
        const contentType = headers['content-type'];
        yield contentType === undefined ? { headers, body: current } : { headers, contentType, body: current };
        await this.finishPart(current);
        current = undefined;
        closed = await this.endOfBoundaryLine(false);
      }
    } catch (error) {
      this.failure ??= error as Error;
      if (current && !current.destroyed) current.destroy(error as Error);
      throw error;
    } finally {
      // The consumer stopped early: the part it held is over.
      if (current && !current.destroyed) current.destroy();
      this.source.release();
    }
  }

  /** Called by a part's `_read`: moves body bytes into the part until it has enough or the body ends. */
  pump(part: PartBody): void {
    if (this.pumpActive || part.abandoned) return;
    this.pumpActive = true;
    this.pumpFinished = this.pumpInto(part);
  }

  private async pumpInto(part: PartBody): Promise<void> {
    try {
      while (this.inBody && part.wanted && !part.abandoned) {
        const { data, last } = await this.nextBodySlice();
        if (part.abandoned) return; // finishPart drains from here
        if (last) {
          if (data.length > 0) part.push(data);
          part.push(null);
          return;
        }
        if (data.length === 0) continue;
        part.wanted = false;
        // push() may call _read synchronously, which sets `wanted` again: then keep going.
        if (part.push(data)) part.wanted = true;
      }
    } catch (error) {
      this.failure ??= error as Error;
      if (!part.destroyed) part.destroy(error as Error);
    } finally {
      this.pumpActive = false;
    }
  }

  /** After the consumer moved on: wait for a running pump, then skip what is left of the part's body. */
  private async finishPart(part: PartBody): Promise<void> {
    if (this.inBody && !part.abandoned) {
      part.abandoned = true;
      part.destroy();
    }
    await this.pumpFinished;
    if (this.failure) throw this.failure;
    while (this.inBody) await this.nextBodySlice();
  }

  /** The next chunk of the request, or null at its end. */
  private async read(): Promise<Buffer | null> {
    for (;;) {
      let chunk: Buffer | null;
      try {
        chunk = await this.source.next();
      } catch (cause) {
        throw truncated(cause);
      }
      if (chunk === null || chunk.length > 0) return chunk;
    }
  }

  /** Reads until `pending` holds at least `n` bytes; false when the request ends first. */
  private async ensure(n: number): Promise<boolean> {
    while (this.pending.length < n) {
      const chunk = await this.read();
      if (chunk === null) return false;
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    }
    return true;
  }

  /** Skips the preamble and the first dash-boundary, which starts the body or follows a line break. */
  private async skipPreamble(): Promise<void> {
    const dash = this.dashBoundary;
    const maxPreamble = this.limits.maxPreambleBytes ?? defaultMaxPreambleBytes;
    await this.ensure(dash.length);
    if (this.pending.subarray(0, dash.length).equals(dash)) {
      this.pending = this.pending.subarray(dash.length);
      return;
    }
    const lineAndDash = Buffer.concat([Buffer.from([LF]), dash]);
    const keep = lineAndDash.length - 1;
    let skipped = 0;
    for (;;) {
      const at = this.pending.indexOf(lineAndDash);
      if (at >= 0 && skipped + at <= maxPreamble) {
        this.pending = this.pending.subarray(at + lineAndDash.length);
        return;
      }
      if (this.pending.length > keep) {
        skipped += this.pending.length - keep;
        this.pending = this.pending.subarray(this.pending.length - keep);
      }
      if (skipped > maxPreamble) {
        throw new DicomwebError('BadRequest', `No multipart boundary in the first ${maxPreamble} bytes of the body`);
      }
      const chunk = await this.read();
      if (chunk === null) throw new DicomwebError('BadRequest', 'The body contains no multipart boundary');
      this.pending = Buffer.concat([this.pending, chunk]);
    }
  }

  /**
   * Reads what follows a dash-boundary: "--" (the close delimiter: true) or transport padding and the
   * line ending (another part follows: false). The first boundary line fixes the delimiter's line ending.
   */
  private async endOfBoundaryLine(first: boolean): Promise<boolean> {
    if (!(await this.ensure(2))) throw truncated();
    if (this.pending[0] === HYPHEN && this.pending[1] === HYPHEN) {
      this.pending = this.pending.subarray(2);
      // The epilogue is ignored; what is left of the request is not read.
      return true;
    }
    let padding = 0;
    for (;;) {
      if (!(await this.ensure(1))) throw truncated();
      const c = this.pending[0];
      if (isPadding(c)) {
        padding += 1;
        if (padding > this.limits.maxPartHeaderBytes) throw malformedBoundaryLine();
        this.pending = this.pending.subarray(1);
        continue;
      }
      let lineEnd: Buffer;
      if (c === LF) {
        lineEnd = Buffer.from([LF]);
      } else if (c === CR) {
        if (!(await this.ensure(2))) throw truncated();
        if (this.pending[1] !== LF) throw malformedBoundaryLine();
        lineEnd = Buffer.from([CR, LF]);
      } else {
        throw malformedBoundaryLine();
      }
      this.pending = this.pending.subarray(lineEnd.length);
      if (first) this.delimiter = Buffer.concat([lineEnd, this.dashBoundary]);
      return false;
    }
  }

  /** Reads a part's header block up to the empty line (RFC 2046 §5.1.1; fields as RFC 822/5322). */
  private async readHeaders(): Promise<Record<string, string>> {
    const max = this.limits.maxPartHeaderBytes;
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    let used = 0;
    let last: string | undefined;
    for (;;) {
      let nl = this.pending.indexOf(LF);
      while (nl < 0) {
        if (used + this.pending.length > max) throw headersTooLarge(max);
        const chunk = await this.read();
        if (chunk === null) throw truncated();
        const base = this.pending.length;
        nl = chunk.indexOf(LF);
        this.pending = base === 0 ? chunk : Buffer.concat([this.pending, chunk]);
        if (nl >= 0) nl += base;
      }
      used += nl + 1;
      if (used > max) throw headersTooLarge(max);
      const end = nl > 0 && this.pending[nl - 1] === CR ? nl - 1 : nl;
      const line = this.pending.toString('latin1', 0, end);
      this.pending = this.pending.subarray(nl + 1);
      if (line === '') return headers;
      if (isPadding(line.charCodeAt(0))) {
        // obs-fold (RFC 5322 §3.2.2): a continuation of the previous field.
        if (last === undefined) throw malformedHeader('a part header block starts with a continuation line');
        if (invalidValueChar.test(line)) throw malformedHeader(`part header "${last}" contains a control character`);
        headers[last] = `${headers[last]} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
      if (!headerName.test(name)) throw malformedHeader('a part header line is not of the form "name: value"');
      const value = line.slice(colon + 1).trim();
      if (invalidValueChar.test(value)) throw malformedHeader(`part header "${name}" contains a control character`);
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      last = name;
    }
  }

  /**
   * Begins a part's body. A body that is directly followed by a dash-boundary, without the line break
   * RFC 2046 puts before it, is taken as empty: a boundary cannot occur inside a body, so nothing is lost.
   */
  private async startBody(): Promise<void> {
    const dash = this.dashBoundary;
    if ((await this.ensure(dash.length)) && this.pending.subarray(0, dash.length).equals(dash)) {
      this.pending = this.pending.subarray(dash.length);
      this.inBody = false;
      return;
    }
    this.inBody = true;
  }

  /**
   * The next bytes of the current body; `last` when the delimiter that ends it was found (and consumed).
   * Scans with Buffer.indexOf: a chunk is searched once, and only a delimiter that straddles two chunks is
   * searched for in a small seam made of the held-back tail and the start of the next chunk.
   */
  private async nextBodySlice(): Promise<{ data: Buffer; last: boolean }> {
    const delimiter = this.delimiter;
    const d = delimiter.length;
    for (;;) {
      const p = this.pending;
      if (p.length > 0) {
        const at = p.indexOf(delimiter);
        if (at >= 0) {
          this.pending = p.subarray(at + d);
          this.inBody = false;
          return { data: p.subarray(0, at), last: true };
        }
        // Everything but a tail that could begin a delimiter is body; usually there is no such tail and
        // the chunk goes on whole, without a copy.
        const cut = p.length - heldBack(p, delimiter);
        if (cut > 0) {
          this.pending = p.subarray(cut);
          return { data: cut === p.length ? p : p.subarray(0, cut), last: false };
        }
      }
      const chunk = await this.read();
      if (chunk === null) throw truncated();
      if (this.pending.length === 0) {
        this.pending = chunk;
      } else if (chunk.length < d - 1) {
        this.pending = Buffer.concat([this.pending, chunk]); // small chunks: the tail just grows
      } else {
        // The tail (shorter than the delimiter) needs at most d - 1 bytes of the chunk to complete one.
        const tail = this.pending;
        const seam = Buffer.concat([tail, chunk.subarray(0, d - 1)]);
        const at = seam.indexOf(delimiter);
        if (at >= 0) {
          this.pending = chunk.subarray(at + d - tail.length);
          this.inBody = false;
          return { data: tail.subarray(0, at), last: true };
        }
        this.pending = chunk;
        return { data: tail, last: false };
      }
    }
  }
}

/** Length of the longest end of `p` that is the start of `delimiter` (shorter than the delimiter). */
function heldBack(p: Buffer, delimiter: Buffer): number {
  const first = delimiter[0]!;
  for (let i = p.indexOf(first, Math.max(0, p.length - (delimiter.length - 1))); i >= 0; i = p.indexOf(first, i + 1)) {
    if (p.compare(delimiter, 0, p.length - i, i) === 0) return p.length - i;
  }
  return 0;
}

const malformedBoundaryLine = (): DicomwebError =>
  new DicomwebError('BadRequest', 'A multipart boundary line is malformed (RFC 2046 §5.1.1)');

const malformedHeader = (why: string): DicomwebError => new DicomwebError('BadRequest', `Malformed multipart: ${why}`);

const headersTooLarge = (max: number): DicomwebError =>
  new DicomwebError('PayloadTooLarge', `A multipart part's header block is larger than ${max} bytes`);
