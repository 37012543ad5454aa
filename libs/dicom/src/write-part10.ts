// Part 10 writing (PS3.10 §7.1) from File Meta Information and a DICOM JSON data set (PS3.18 Annex F):
// Explicit VR Little Endian, Implicit VR Little Endian, Explicit VR Big Endian, Deflated Explicit VR Little
// Endian, and the encapsulated transfer syntaxes when the caller supplies the fragments. Bulk data and pixel
// data are streamed from their sources; everything else is encoded up front, so memory holds the attributes
// but never the bulk values.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw } from 'node:zlib';
import { Tag } from './dictionary';
import { type DicomJsonDataset, type DicomJsonElement } from './dicom-json';
import { encodeElementValue } from './element-value';
import { Part10Error } from './part10-error';
import { transferSyntaxOf, TransferSyntaxUid } from './transfer-syntax';
import { isVr, VR } from './vr';

/** The UID that names this implementation in (0002,0012) (PS3.7 §D.3.3.2), under 2.25 (PS3.5 §B.2). */
export const implementationClassUid = '2.25.296647743287642294549527305621933160920';
/** (0002,0013) Implementation Version Name, SH. */
export const implementationVersionName = 'PACS_DICOM_1';

/**
 * Bytes of a value: a buffer, or a length and a function that opens a stream of exactly that many bytes
 * (called once, when the value is written). Bytes are written as they are: they must already be in the byte
 * order of the transfer syntax. An odd length is padded with one NUL (PS3.5 §7.1.1).
 */
export type BinarySource = Uint8Array | { length: number; open: () => AsyncIterable<Uint8Array> | Readable };

/** Pixel data: native (one value), or encapsulated (PS3.5 §A.4: fragments, each frame one or more of them). */
export type PixelDataSource =
  | { tag?: string; vr?: string; value: BinarySource }
  | {
      tag?: string;
      vr?: string;
      fragments: Iterable<BinarySource> | AsyncIterable<BinarySource>;
      basicOffsetTable?: readonly number[];
    };

export interface WritePart10Options {
  /** The data set; elements of group 0002 are ignored (they belong to the File Meta Information). */
  dataset: DicomJsonDataset;
  /**
   * File Meta Information as DICOM JSON. (0002,0000), (0002,0001), (0002,0010), (0002,0012) and (0002,0013) are
   * always set here (PS3.10 §7.1: the last two name the writer); (0002,0002), (0002,0003) default to the data
   * set's SOP Class and Instance UIDs; other elements (e.g. Source Application Entity Title) are kept.
   */
  meta?: DicomJsonDataset;
  /** Default: the meta's Transfer Syntax UID, else Explicit VR Little Endian. */
  transferSyntaxUid?: string;
  /** Bytes of each BulkDataURI of the data set (`path` as in BulkDataRef: '54000100/0/54001010'). */
  bulkData?: (uri: string, path: string) => BinarySource | undefined;
  /** Pixel data to write at its tag (default (7FE0,0010)), whatever the data set says for that tag. */
  pixelData?: PixelDataSource;
  /** Sequences and items with undefined length (the default) or with their lengths computed. */
  sequenceLength?: 'undefined' | 'defined';
}

interface StreamPiece {
  length: number;
  open: () => AsyncIterable<Uint8Array> | Readable;
}
interface FragmentsPiece {
  fragments: Iterable<BinarySource> | AsyncIterable<BinarySource>;
  littleEndian: boolean;
}
type Piece = Buffer | StreamPiece | FragmentsPiece;

const lengthOf = (pieces: readonly Piece[]): number => {
  let n = 0;
  for (const p of pieces) {
    if ('fragments' in p) throw new Part10Error('InvalidValue', 'encapsulated pixel data only at the top level');
    n += p.length;
  }
  return n;
};

const UNDEFINED = 0xffffffff;

interface Encoding {
  implicit: boolean;
  littleEndian: boolean;
  definedLengths: boolean;
  bulkData?: WritePart10Options['bulkData'];
}

function tagBytes(tag: string, le: boolean, extra = 0): Buffer {
  const b = Buffer.alloc(4 + extra);
  const group = parseInt(tag.slice(0, 4), 16);
  const element = parseInt(tag.slice(4), 16);
  if (le) {
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(element, 2);
  } else {
    b.writeUInt16BE(group, 0);
    b.writeUInt16BE(element, 2);
  }
  return b;
}

/** An element header (PS3.5 §7.1.2 Explicit VR, §7.1.3 Implicit VR). */
function header(tag: string, vr: string, length: number, enc: Encoding): Buffer {
  const le = enc.littleEndian;
  if (enc.implicit) {
    const b = tagBytes(tag, le, 4);
    if (le) b.writeUInt32LE(length, 4);
    else b.writeUInt32BE(length, 4);
    return b;
  }
  if (!isVr(vr)) throw new Part10Error('InvalidValue', `element ${tag} has no valid VR ("${vr}")`);
  if (VR[vr].lengthBytes === 2) {
    if (length > 0xfffe)
      throw new Part10Error(
        'InvalidValue',
        `element ${tag} (${vr}) is ${length} bytes, more than a 16-bit length allows`,
      );
    const b = tagBytes(tag, le, 4);
    b.write(vr, 4, 'latin1');
    if (le) b.writeUInt16LE(length, 6);
    else b.writeUInt16BE(length, 6);
    return b;
  }
  const b = tagBytes(tag, le, 8);
  b.write(vr, 4, 'latin1');
  if (le) b.writeUInt32LE(length, 8);
  else b.writeUInt32BE(length, 8);
  return b;
}

function itemHeader(element: number, length: number, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) {
    b.writeUInt16LE(0xfffe, 0);
    b.writeUInt16LE(element, 2);
    b.writeUInt32LE(length, 4);
  } else {
    b.writeUInt16BE(0xfffe, 0);
    b.writeUInt16BE(element, 2);
    b.writeUInt32BE(length, 4);
  }
  return b;
}

const isBytes = (s: BinarySource): s is Uint8Array => s instanceof Uint8Array;

/** A value from a BinarySource, padded to even length. */
function sourcePieces(source: BinarySource): { pieces: Piece[]; length: number } {
  if (isBytes(source)) {
    const b = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    const even = b.length % 2 === 1 ? Buffer.concat([b, Buffer.of(0)]) : b;
    return { pieces: [even], length: even.length };
  }
  const pieces: Piece[] = [{ length: source.length, open: source.open }];
  if (source.length % 2 === 1) pieces.push(Buffer.of(0));
  return { pieces, length: source.length + (source.length % 2) };
}

const sortedTags = (ds: DicomJsonDataset): string[] => Object.keys(ds).sort();

function specificCharacterSetOf(
  ds: DicomJsonDataset,
  inherited: readonly string[] | undefined,
): readonly string[] | undefined {
  const v = ds[Tag.SpecificCharacterSet]?.Value;
  return v ? v.map((x) => (typeof x === 'string' ? x : '')) : inherited;
}

function encodeElement(
  tag: string,
  element: DicomJsonElement,
  path: string,
  enc: Encoding,
  charset: readonly string[] | undefined,
): Piece[] {
  const vr = element.vr;
  if (vr === 'SQ') {
    const items = (element.Value ?? []) as DicomJsonDataset[];
    const body: Piece[] = [];
    items.forEach((item, i) => {
      if (item === null || typeof item !== 'object')
        throw new Part10Error('InvalidValue', `item ${i} of ${path} is not a data set`);
      const content = encodeDataset(item, `${path}/${i}/`, enc, specificCharacterSetOf(item, charset));
      if (enc.definedLengths) body.push(itemHeader(0xe000, lengthOf(content), enc.littleEndian), ...content);
      else
        body.push(itemHeader(0xe000, UNDEFINED, enc.littleEndian), ...content, itemHeader(0xe00d, 0, enc.littleEndian));
    });
    if (enc.definedLengths) return [header(tag, 'SQ', lengthOf(body), enc), ...body];
    return [header(tag, 'SQ', UNDEFINED, enc), ...body, itemHeader(0xe0dd, 0, enc.littleEndian)];
  }
  if (element.BulkDataURI !== undefined) {
    const source = enc.bulkData?.(element.BulkDataURI, path);
    if (!source) throw new Part10Error('InvalidValue', `no bytes for ${path} (BulkDataURI ${element.BulkDataURI})`);
    const { pieces, length } = sourcePieces(source);
    return [header(tag, vr, length, enc), ...pieces];
  }
  const value = encodeElementValue(element, {
    littleEndian: enc.littleEndian,
    ...(charset ? { specificCharacterSet: charset } : {}),
  });
  return [header(tag, vr, value.length, enc), value];
}

/** PS3.5 §7.2: a Group Length (gggg,0000) present in the JSON is rewritten with the length as encoded here. */
function encodeDataset(
  ds: DicomJsonDataset,
  prefix: string,
  enc: Encoding,
  charset: readonly string[] | undefined,
): Piece[] {
  const out: Piece[] = [];
  const tags = sortedTags(ds).filter((t) => !t.startsWith('0002'));
  let i = 0;
  while (i < tags.length) {
    const group = tags[i]!.slice(0, 4);
    const groupPieces: Piece[] = [];
    let hasGroupLength = false;
    for (; i < tags.length && tags[i]!.startsWith(group); i++) {
      const tag = tags[i]!;
      if (tag.endsWith('0000')) {
        hasGroupLength = true;
        continue;
      }
      groupPieces.push(...encodeElement(tag, ds[tag]!, prefix + tag, enc, charset));
    }
    if (hasGroupLength) {
      const value = Buffer.alloc(4);
      if (enc.littleEndian) value.writeUInt32LE(lengthOf(groupPieces));
      else value.writeUInt32BE(lengthOf(groupPieces));
      out.push(header(`${group}0000`, 'UL', 4, enc), value);
    }
    out.push(...groupPieces);
  }
  return out;
}

/**
 * The elements of a small data set encoded one after the other, in tag order, as they would appear inside a
 * data set of the given encoding: for rewriting a few top-level elements of a stored instance
 * (replaceTopLevelElements). Sequences and items get undefined lengths; BulkDataURIs cannot be resolved here
 * (Part10Error). Text is encoded in `specificCharacterSet` (CharsetError when a value does not fit).
 */
export function encodeDataSetElements(
  dataset: DicomJsonDataset,
  encoding: { explicitVr: boolean; littleEndian: boolean; specificCharacterSet?: readonly string[] },
): Buffer {
  const enc: Encoding = { implicit: !encoding.explicitVr, littleEndian: encoding.littleEndian, definedLengths: false };
  const pieces = encodeDataset(dataset, '', enc, specificCharacterSetOf(dataset, encoding.specificCharacterSet));
  return Buffer.concat(pieces as Buffer[]);
}

function pixelPieces(pixel: PixelDataSource, tag: string, enc: Encoding): Piece[] {
  if ('value' in pixel) {
    const vr = pixel.vr ?? (tag === Tag.FloatPixelData ? 'OF' : tag === Tag.DoubleFloatPixelData ? 'OD' : 'OW');
    const { pieces, length } = sourcePieces(pixel.value);
    return [header(tag, vr, length, enc), ...pieces];
  }
  if (enc.implicit)
    throw new Part10Error('InvalidValue', 'encapsulated pixel data needs an Explicit VR transfer syntax (PS3.5 §A.4)');
  const table = pixel.basicOffsetTable ?? [];
  const bot = Buffer.alloc(table.length * 4);
  table.forEach((o, k) => bot.writeUInt32LE(o, k * 4));
  return [
    header(tag, pixel.vr ?? 'OB', UNDEFINED, enc),
    itemHeader(0xe000, bot.length, enc.littleEndian),
    bot,
    { fragments: pixel.fragments, littleEndian: enc.littleEndian },
    itemHeader(0xe0dd, 0, enc.littleEndian),
  ];
}

function metaPieces(options: WritePart10Options, transferSyntaxUid: string): Buffer[] {
  const given = options.meta ?? {};
  const fromDataset = (t: string): DicomJsonElement | undefined => {
    const v = options.dataset[t]?.Value?.[0];
    return typeof v === 'string' ? { vr: 'UI', Value: [v] } : undefined;
  };
  const meta: DicomJsonDataset = { ...given };
  meta[Tag.FileMetaInformationVersion] = { vr: 'OB', InlineBinary: Buffer.of(0, 1).toString('base64') };
  const sopClass = given[Tag.MediaStorageSOPClassUID] ?? fromDataset(Tag.SOPClassUID);
  const sopInstance = given[Tag.MediaStorageSOPInstanceUID] ?? fromDataset(Tag.SOPInstanceUID);
  if (sopClass) meta[Tag.MediaStorageSOPClassUID] = sopClass;
  if (sopInstance) meta[Tag.MediaStorageSOPInstanceUID] = sopInstance;
  meta[Tag.TransferSyntaxUID] = { vr: 'UI', Value: [transferSyntaxUid] };
  // PS3.10 §7.1: the Implementation Class UID and Version Name identify the implementation that wrote the file.
  meta[Tag.ImplementationClassUID] = { vr: 'UI', Value: [implementationClassUid] };
  meta[Tag.ImplementationVersionName] = { vr: 'SH', Value: [implementationVersionName] };
  delete meta[Tag.FileMetaInformationGroupLength];
  // PS3.10 §7.1: Explicit VR Little Endian whatever the data set's transfer syntax.
  const enc: Encoding = { implicit: false, littleEndian: true, definedLengths: true };
  const pieces: Buffer[] = [];
  for (const tag of sortedTags(meta)) {
    if (!tag.startsWith('0002'))
      throw new Part10Error('InvalidValue', `File Meta Information element ${tag} is not in group 0002`);
    for (const p of encodeElement(tag, meta[tag]!, tag, enc, undefined)) pieces.push(p as Buffer);
  }
  const length = pieces.reduce((n, b) => n + b.length, 0);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(length);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return [preamble, header(Tag.FileMetaInformationGroupLength, 'UL', 4, enc), groupLength, ...pieces];
}

async function* open(source: StreamPiece): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of source.open()) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    n += b.length;
    if (n > source.length)
      throw new Part10Error('InvalidValue', `a bulk data stream gave more than the ${source.length} bytes announced`);
    yield b;
  }
  if (n !== source.length)
    throw new Part10Error('InvalidValue', `a bulk data stream gave ${n} bytes, ${source.length} were announced`);
}

/** Yields the pieces' bytes, coalescing small buffers into chunks of about 64 KiB. */
async function* bytesOf(pieces: readonly Piece[]): AsyncGenerator<Buffer> {
  const target = 64 * 1024;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  const take = (): Buffer | undefined => {
    if (pendingLength === 0) return undefined;
    const b = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLength);
    pending = [];
    pendingLength = 0;
    return b;
  };
  const add = (b: Buffer): Buffer | undefined => {
    pending.push(b);
    pendingLength += b.length;
    return pendingLength >= target ? take() : undefined;
  };
  async function* value(p: Buffer | StreamPiece): AsyncGenerator<Buffer> {
    if (Buffer.isBuffer(p)) {
      const ready = add(p);
      if (ready) yield ready;
      return;
    }
    const before = take();
    if (before) yield before;
    yield* open(p);
  }
  for (const p of pieces) {
    if ('fragments' in p) {
      // PS3.5 §A.4: each fragment is an Item of even length.
      for await (const fragment of p.fragments as AsyncIterable<BinarySource>) {
        const { pieces: parts, length } = sourcePieces(fragment);
        yield* value(itemHeader(0xe000, length, p.littleEndian));
        for (const part of parts) yield* value(part as Buffer | StreamPiece);
      }
    } else yield* value(p);
  }
  const last = take();
  if (last) yield last;
}

/**
 * Writes a Part 10 file as a stream. The File Meta Information is built from `meta` (see WritePart10Options);
 * the data set's elements are written in tag order with even-length values (PS3.5 §7.1.1); sequences as
 * `sequenceLength` says; BulkDataURIs are replaced by the bytes `bulkData` gives; `pixelData`, when given, is
 * written at its tag, streamed. Errors (a value that cannot be encoded, a missing bulk value, a stream of the
 * wrong length) destroy the returned stream with a Part10Error.
 */
export function writePart10(options: WritePart10Options): Readable {
  const metaTs = options.meta?.[Tag.TransferSyntaxUID]?.Value?.[0];
  const uid =
    options.transferSyntaxUid ?? (typeof metaTs === 'string' ? metaTs : TransferSyntaxUid.ExplicitVRLittleEndian);
  async function* generate(): AsyncGenerator<Buffer> {
    const ts = transferSyntaxOf(uid);
    if (!ts || ts.keyword === 'RFC2557MIMEEncapsulation' || ts.keyword === 'XMLEncoding') {
      throw new Part10Error('UnsupportedTransferSyntax', `cannot write transfer syntax ${uid}`);
    }
    const enc: Encoding = {
      implicit: !ts.explicitVr,
      littleEndian: ts.littleEndian,
      definedLengths: options.sequenceLength === 'defined',
      ...(options.bulkData ? { bulkData: options.bulkData } : {}),
    };
    const pixelTag = options.pixelData?.tag ?? Tag.PixelData;
    const dataset = { ...options.dataset };
    if (options.pixelData) delete dataset[pixelTag];
    const before: DicomJsonDataset = {};
    const after: DicomJsonDataset = {};
    for (const t of Object.keys(dataset)) (t < pixelTag ? before : after)[t] = dataset[t]!;
    const charset = specificCharacterSetOf(dataset, undefined);
    const body: Piece[] = [
      ...encodeDataset(before, '', enc, charset),
      ...(options.pixelData ? pixelPieces(options.pixelData, pixelTag, enc) : []),
      ...encodeDataset(after, '', enc, charset),
    ];
    yield* metaPieces(options, uid);
    if (!ts.deflated) {
      yield* bytesOf(body);
      return;
    }
    // PS3.5 §A.5: the data set after the File Meta Information is deflated (RFC 1951, no zlib header).
    const deflater = createDeflateRaw();
    const pumping = pipeline(Readable.from(bytesOf(body)), deflater);
    pumping.catch(() => undefined);
    for await (const chunk of deflater) yield chunk as Buffer;
    await pumping;
  }
  return Readable.from(generate(), { objectMode: false });
}
