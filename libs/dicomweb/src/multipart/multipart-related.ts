// A streaming writer of multipart/related bodies (RFC 2387, syntax of RFC 2046 §5.1.1): each part is
// "--boundary" CRLF, its header fields, an empty line and its body; the CRLF before each following
// boundary belongs to that boundary; the body ends with the close delimiter "--boundary--" CRLF.
import { Readable } from 'node:stream';
import { MediaTypes } from '../media/media-types';
import { formatMediaType } from '../media/parse-media-type';
import { isValidBoundary, newBoundary } from './boundary';
import { ChunkReader } from './chunk-reader';

export interface OutgoingPart {
  /** Header fields of the part, e.g. { 'Content-Type': 'application/dicom; transfer-syntax=…' }. */
  readonly headers: Readonly<Record<string, string>>;
  /** The part's bytes; a stream is read only as fast as the response is written. */
  readonly body: Readable | Buffer;
}

export interface MultipartRelatedOptions {
  /** The `type` parameter: media type of the root part (RFC 2387 §3.1), e.g. 'application/dicom'. */
  readonly type: string;
  /** A boundary to use instead of a fresh random one (RFC 2046 §5.1.1 syntax). */
  readonly boundary?: string;
  /** More Content-Type parameters, e.g. { 'transfer-syntax': uid } when every part has the same one. */
  readonly params?: Readonly<Record<string, string>>;
}

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const invalidValueChar = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Writes `parts` as one multipart/related body. Parts and their bodies are pulled only as the returned
 * stream is read (backpressure): nothing is held beyond the chunk being written. When the stream is
 * destroyed (the client went away), the part being written is destroyed too, so its source is released.
 * @throws Error for an invalid boundary; the stream errors for an invalid part header.
 */
export function multipartRelated(
  parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>,
  options: MultipartRelatedOptions,
): { contentType: string; stream: Readable } {
  const boundary = options.boundary ?? newBoundary();
  if (!isValidBoundary(boundary)) throw new Error(`Invalid multipart boundary: ${JSON.stringify(boundary)}`);
  const contentType = formatMediaType(MediaTypes.multipartRelated, { type: options.type, ...options.params, boundary });
  const held: Held = {};
  const stream = Readable.from(writeParts(parts, boundary, held), { objectMode: false });
  // Destroying the stream returns the generator, but only once it stops at a yield: if it is waiting for a
  // part's body that sends nothing (a stalled source), it would wait on, and the body stay open. That body
  // is destroyed first; the wait then ends in an error and the generator cleans up.
  const destroyGenerator = stream._destroy.bind(stream);
  stream._destroy = (error, callback) => {
    if (held.body && !held.body.destroyed) held.body.destroy();
    destroyGenerator(error, callback);
  };
  return { contentType, stream };
}

/** The body of the part being written, while it is not read to its end. */
interface Held {
  body?: Readable;
}

async function* writeParts(
  parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>,
  boundary: string,
  held: Held,
): AsyncGenerator<Buffer> {
  let first = true;
  for await (const part of parts) {
    // From here the part's body is ours: whether this generator stops while it writes the part's header
    // (the response was destroyed, or a header is invalid) or its body, an unread body is released then,
    // not left open until garbage collection.
    let reader: ChunkReader | undefined;
    let complete = false;
    if (!Buffer.isBuffer(part.body)) held.body = part.body;
    try {
      let head = `${first ? '' : '\r\n'}--${boundary}\r\n`;
      for (const [name, value] of Object.entries(part.headers)) {
        if (!headerName.test(name) || invalidValueChar.test(value)) {
          throw new Error(`Invalid multipart part header: ${JSON.stringify(name)}`);
        }
        head += `${name}: ${value}\r\n`;
      }
      yield Buffer.from(`${head}\r\n`, 'latin1');
      first = false;
      if (Buffer.isBuffer(part.body)) {
        if (part.body.length > 0) yield part.body;
      } else {
        reader = new ChunkReader(part.body);
        for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) yield chunk;
      }
      complete = true;
    } finally {
      held.body = undefined;
      reader?.release();
      if (!complete && !Buffer.isBuffer(part.body) && !part.body.destroyed) part.body.destroy();
    }
  }
  yield Buffer.from(`${first ? '' : '\r\n'}--${boundary}--\r\n`, 'latin1');
}
