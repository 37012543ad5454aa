// Rewrites a few top-level elements of a Part 10 file (PS3.10 §7.1) as it streams past, copying every other
// byte as it is: the preamble, the File Meta Information, the elements before, between and after the ones
// replaced, and the pixel data. For coercing attributes on retrieval (the Patient module of an instance after
// the patient's record changed) without touching the stored original and without re-encoding what did not
// change. Memory holds one element header at a time (and the replaced elements' new bytes): values are passed
// on a chunk at a time, whatever their size.
import { ByteQueue } from './byte-queue';
import { Tag } from './dictionary';
import { type DicomJsonElement } from './dicom-json';
import { decodeElementValue } from './element-value';
import { Part10Error } from './part10-error';
import { transferSyntaxOf } from './transfer-syntax';
import { isVr, VR } from './vr';
import { encodeDataSetElements } from './write-part10';
import { Readable } from 'node:stream';

/**
 * Top-level elements by tag: the element to write in place of the stored one (or to add, in tag order, when
 * the instance has none), or null to leave the stored one out. No tag of group 0002 (the File Meta
 * Information), no pixel data, no BulkDataURI.
 */
export type TopLevelReplacements = Readonly<Record<string, DicomJsonElement | null>>;

const UNDEFINED = 0xffffffff;
const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
/** (0008,0001) Length to End (retired): a length over the data set, which no longer holds once elements change. */
const LengthToEnd = '00080001';
/** Output pieces are gathered up to this size, so element-sized pieces do not become one write each. */
const outputChunk = 64 * 1024;

interface Encoding {
  implicit: boolean;
  littleEndian: boolean;
}

/**
 * The file `source` with `replacements` applied to its top-level data set. Also left out: the Group Lengths
 * (gggg,0000) of the groups that change (PS3.5 §7.2: retired in data sets; a stale one would be wrong) and
 * Length to End. Text is encoded in the data set's Specific Character Set as it is read from the stream (or as
 * `replacements` sets it); a value it cannot hold fails the stream with CharsetError, so callers check
 * first. The File Meta Information is copied unchanged: the transfer syntax and the instance stay the same.
 * Deflated data sets (PS3.5 §A.5) are refused (Part10Error 'UnsupportedTransferSyntax'): their bytes are not
 * the elements'. Bad input fails the stream with Part10Error ('NotDicom', 'Truncated', 'Malformed').
 */
export function replaceTopLevelElements(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  replacements: TopLevelReplacements,
): Readable {
  for (const tag of Object.keys(replacements)) {
    if (!/^[0-9A-F]{8}$/.test(tag) || tag.startsWith('0002') || tag >= Tag.FloatPixelData || tag.startsWith('FFFE'))
      throw new Part10Error('InvalidValue', `element ${tag} cannot be replaced at the top level of a data set`);
    if (replacements[tag]?.BulkDataURI !== undefined)
      throw new Part10Error('InvalidValue', `element ${tag} is a BulkDataURI: its bytes are not known here`);
  }
  return Readable.from(coalesce(splice(source, replacements)), { objectMode: false });
}

/** Gathers small pieces into chunks of about `outputChunk` bytes; large pieces go on as they are. */
async function* coalesce(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of pieces) {
    if (piece.length >= outputChunk) {
      if (size > 0) yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
      yield piece;
      continue;
    }
    pending.push(piece);
    size += piece.length;
    if (size >= outputChunk) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending, size);
}

async function* splice(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  replacements: TopLevelReplacements,
): AsyncGenerator<Buffer> {
  const input: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  try {
    yield* spliceFrom(input, replacements);
  } finally {
    // Stopped early (the reader went away) or failed: the source is closed too (a file, an S3 response).
    await input.return?.();
  }
}

async function* spliceFrom(
  input: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
  replacements: TopLevelReplacements,
): AsyncGenerator<Buffer> {
  const queue = new ByteQueue();
  let ended = false;
  let position = 0;

  /** Reads until `n` bytes are queued; false when the input ends first. */
  const fill = async (n: number): Promise<boolean> => {
    while (queue.length < n && !ended) {
      const next = await input.next();
      if (next.done) ended = true;
      else queue.push(Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value));
    }
    return queue.length >= n;
  };
  const truncated = (where: string) =>
    new Part10Error('Truncated', `the file ends ${where} at offset ${position + queue.length}`);
  const malformed = (what: string) => new Part10Error('Malformed', `${what} at offset ${position}`);

  /** Passes on (or drops) the next `n` bytes, a chunk at a time. */
  async function* move(n: number, keep: boolean): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (queue.length === 0 && !(await fill(1))) throw truncated(`inside a value (${left} bytes missing)`);
      const chunk = queue.takeChunk(left);
      left -= chunk.length;
      position += chunk.length;
      if (keep) yield chunk;
    }
  }

  const tagAndLength = (h: Buffer, le: boolean) =>
    le
      ? { group: h.readUInt16LE(0), element: h.readUInt16LE(2), length: h.readUInt32LE(4) }
      : { group: h.readUInt16BE(0), element: h.readUInt16BE(2), length: h.readUInt32BE(4) };

  /** An element header (PS3.5 §7.1.2, §7.1.3) at the head of the queue, not consumed. */
  const elementHeader = async (enc: Encoding): Promise<{ vr?: string; length: number; headerLength: number }> => {
    const h = queue.peek(8);
    if (enc.implicit) return { length: tagAndLength(h, enc.littleEndian).length, headerLength: 8 };
    const vr = h.toString('latin1', 4, 6);
    if (!isVr(vr)) throw malformed(`an element has no valid VR ("${vr.replace(/[^ -~]/g, '?')}")`);
    if (VR[vr].lengthBytes === 2)
      return { vr, length: enc.littleEndian ? h.readUInt16LE(6) : h.readUInt16BE(6), headerLength: 8 };
    if (!(await fill(12))) throw truncated('inside an element header');
    const h12 = queue.peek(12);
    return { vr, length: enc.littleEndian ? h12.readUInt32LE(8) : h12.readUInt32BE(8), headerLength: 12 };
  };

  /**
   * A value of undefined length: Items up to the Sequence Delimitation Item (PS3.5 §7.5.2) — a sequence's, or
   * the fragments of encapsulated pixel data nested in an item (PS3.5 §A.4). An undefined-length UN holds a
   * sequence in Implicit VR Little Endian (PS3.5 §6.2.2).
   */
  async function* items(enc: Encoding, keep: boolean): AsyncGenerator<Buffer> {
    for (;;) {
      if (!(await fill(8))) throw truncated('inside a sequence');
      const { group, element, length } = tagAndLength(queue.peek(8), enc.littleEndian);
      if (group === 0xfffe && element === 0xe0dd) return yield* move(8, keep);
      if (group !== 0xfffe || element !== 0xe000)
        throw malformed(`expected an Item, found (${hex4(group)},${hex4(element)})`);
      yield* move(8, keep);
      if (length !== UNDEFINED) yield* move(length, keep);
      else if (yield* itemElements(enc, keep)) return; // an item ended by its sequence's delimiter
    }
  }

  /** The elements of an undefined-length item, to its Item Delimitation Item; true when a Sequence Delimitation Item ended it. */
  async function* itemElements(enc: Encoding, keep: boolean): AsyncGenerator<Buffer, boolean> {
    for (;;) {
      if (!(await fill(8))) throw truncated('inside an item');
      const { group, element } = tagAndLength(queue.peek(8), enc.littleEndian);
      if (group === 0xfffe) {
        if (element !== 0xe00d && element !== 0xe0dd) throw malformed(`unexpected (FFFE,${hex4(element)}) in an item`);
        yield* move(8, keep);
        return element === 0xe0dd;
      }
      const header = await elementHeader(enc);
      yield* move(header.headerLength, keep);
      yield* value(header.length, header.vr, enc, keep);
    }
  }

  async function* value(length: number, vr: string | undefined, enc: Encoding, keep: boolean): AsyncGenerator<Buffer> {
    if (length !== UNDEFINED) return yield* move(length, keep);
    yield* items(vr === 'UN' ? { implicit: true, littleEndian: true } : enc, keep);
  }

  // Preamble and File Meta Information (PS3.10 §7.1: Explicit VR Little Endian), copied as they are.
  if (!(await fill(132)))
    throw new Part10Error('NotDicom', 'fewer than 132 bytes: no Part 10 preamble and DICM prefix');
  if (queue.peek(132).toString('latin1', 128, 132) !== 'DICM')
    throw new Part10Error('NotDicom', 'no "DICM" prefix after the 128-byte preamble (PS3.10 §7.1)');
  yield* move(132, true);
  let transferSyntaxUid = '';
  let metaEnd: number | undefined;
  while ((metaEnd === undefined || position < metaEnd) && (await fill(8))) {
    const h = queue.peek(8);
    if (h.readUInt16LE(0) !== 0x0002) break;
    const tag = hex4(2) + hex4(h.readUInt16LE(2));
    const header = await elementHeader({ implicit: false, littleEndian: true });
    if (header.length === UNDEFINED) throw malformed(`File Meta Information element ${tag} has undefined length`);
    if (!(await fill(header.headerLength + header.length))) throw truncated('in the File Meta Information');
    const bytes = queue.peek(header.headerLength + header.length);
    const v = bytes.subarray(header.headerLength);
    if (tag === Tag.FileMetaInformationGroupLength && v.length === 4)
      metaEnd = position + bytes.length + v.readUInt32LE(0);
    if (tag === Tag.TransferSyntaxUID) transferSyntaxUid = v.toString('latin1').replace(/[\0 ]+$/, '');
    yield* move(bytes.length, true);
  }
  if (!transferSyntaxUid)
    throw new Part10Error('MissingAttribute', 'the File Meta Information has no Transfer Syntax UID (0002,0010)');
  const ts = transferSyntaxOf(transferSyntaxUid);
  if (ts?.deflated)
    throw new Part10Error('UnsupportedTransferSyntax', `the data set of ${transferSyntaxUid} is deflated`);
  // PS3.5 §10: transfer syntaxes not in PS3.6 are read as Explicit VR Little Endian (as Part10Walker does).
  const enc: Encoding = { implicit: ts ? !ts.explicitVr : false, littleEndian: ts ? ts.littleEndian : true };

  const tags = Object.keys(replacements).sort();
  const groups = new Set(tags.map((t) => t.slice(0, 4)));
  const last = tags[tags.length - 1] ?? '';
  const replacedCharset = replacements[Tag.SpecificCharacterSet];
  let charset: readonly string[] | undefined = replacedCharset?.Value?.map((v) => (typeof v === 'string' ? v : ''));
  let next = 0;
  const encode = (tag: string, element: DicomJsonElement): Buffer =>
    encodeDataSetElements(
      { [tag]: element },
      {
        explicitVr: !enc.implicit,
        littleEndian: enc.littleEndian,
        ...(charset ? { specificCharacterSet: charset } : {}),
      },
    );
  /** The replacements that come before `tag` and were not met in the file: added there, in tag order. */
  function* added(tag: string): Generator<Buffer> {
    for (; next < tags.length && tags[next]! < tag; next++) {
      const element = replacements[tags[next]!];
      if (element) yield encode(tags[next]!, element);
    }
  }

  let first = true;
  for (;;) {
    if (!(await fill(8))) {
      if (queue.length > 0) throw truncated(`inside an element header (${queue.length} bytes left)`);
      yield* added('FFFFFFFF');
      return;
    }
    const h = queue.peek(8);
    const group = enc.littleEndian ? h.readUInt16LE(0) : h.readUInt16BE(0);
    const tag = hex4(group) + hex4(enc.littleEndian ? h.readUInt16LE(2) : h.readUInt16BE(2));
    if (first) {
      // Like Part10Walker: the first element decides whether the data set is Explicit or Implicit VR.
      first = false;
      enc.implicit = !isVr(h.toString('latin1', 4, 6));
    }
    if (group === 0xfffe) {
      // A delimiter at the top level belongs to nothing (Part10Walker ignores it too): copied.
      yield* move(8, true);
      continue;
    }
    if (tag > last && tag !== LengthToEnd && !(tag.endsWith('0000') && groups.has(tag.slice(0, 4)))) {
      // Past every replacement: the rest of the file is copied as it comes.
      yield* added('FFFFFFFF');
      for (const chunk of queue.drain()) yield chunk;
      for (let rest = await input.next(); !rest.done; rest = await input.next())
        yield Buffer.isBuffer(rest.value) ? rest.value : Buffer.from(rest.value);
      return;
    }
    yield* added(tag);
    const header = await elementHeader(enc);
    const replaced = tags[next] === tag;
    if (replaced) {
      next++;
      const element = replacements[tag];
      if (element) yield encode(tag, element);
    }
    const dropped = replaced || tag === LengthToEnd || (tag.endsWith('0000') && groups.has(tag.slice(0, 4)));
    if (tag === Tag.SpecificCharacterSet && !replacedCharset && header.length !== UNDEFINED) {
      if (!(await fill(header.headerLength + header.length))) throw truncated('in Specific Character Set');
      const bytes = queue.peek(header.headerLength + header.length).subarray(header.headerLength);
      charset = (decodeElementValue('CS', bytes, { littleEndian: enc.littleEndian }).Value ?? []).map((v) =>
        typeof v === 'string' ? v : '',
      );
    }
    yield* move(header.headerLength, !dropped);
    yield* value(header.length, header.vr, enc, !dropped);
  }
}
