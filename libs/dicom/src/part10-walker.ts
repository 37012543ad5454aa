// A push parser for Part 10 files (PS3.10 §7.1): it is fed bytes as they arrive and walks the File Meta
// Information and the data set element by element (PS3.5 §7), at every nesting level, keeping only what the
// DICOM JSON needs. Values that become bulk data and the pixel data are skipped a chunk at a time; their
// offsets are recorded. dicom-parser needs the whole byte array to parse, so it cannot resume across chunk
// boundaries; this walker can, and it is cross-checked against dicom-parser and pydicom in the tests.
import { ByteQueue } from './byte-queue';
import { lookupTag, Tag } from './dictionary';
import { type DicomJsonDataset, type DicomJsonElement } from './dicom-json';
import { decodeElementValue } from './element-value';
import { Part10Error } from './part10-error';
import { type BulkDataRef, type ByteRange } from './part10-types';
import { transferSyntaxOf } from './transfer-syntax';
import { isVr, VR } from './vr';

export interface WalkerOptions {
  /** Most bytes held to read attribute values (everything but bulk data and pixel data). */
  maxHeaderBytes: number;
  /** Binary values (OB OD OF OL OV OW UN) longer than this become bulk data. */
  bulkDataThreshold: number;
  /** Stop (state 'done') before the first top-level element whose tag is greater than this one. */
  untilTag?: string;
}

interface DatasetContext {
  kind: 'dataset';
  json: DicomJsonDataset;
  /** Offset where a defined-length item ends; undefined for the top level and undefined-length items. */
  end?: number;
  root: boolean;
  /** Prefix of the paths of this data set's elements: '' or '<sequence path>/<item index>/'. */
  prefix: string;
  implicit: boolean;
  littleEndian: boolean;
  specificCharacterSet?: readonly string[];
  pixelRepresentation?: number;
}

interface SequenceContext {
  kind: 'sequence';
  element: DicomJsonElement;
  end?: number;
  path: string;
  items: number;
  implicit: boolean;
  littleEndian: boolean;
  parent: DatasetContext;
}

interface FragmentsContext {
  kind: 'fragments';
  /** Encapsulated pixel data ends at its Sequence Delimitation Item, never at a length. */
  end?: undefined;
  tag: string;
  vr: string;
  path: string;
  valueOffset: number;
  /** The next Item is the Basic Offset Table. */
  first: boolean;
  top: boolean;
  littleEndian: boolean;
  parent: DatasetContext;
}

type Context = DatasetContext | SequenceContext | FragmentsContext;

export interface WalkedPixelData {
  tag: string;
  vr: string;
  offset: number;
  length?: number;
  encapsulated: boolean;
  basicOffsetTable: number[];
  fragments: ByteRange[];
  /** The first bytes (up to 8) of each fragment, to recognise where a frame starts. */
  fragmentStarts: Buffer[];
  /** Bytes from the first Item tag to the end of the Sequence Delimitation Item, once complete. */
  encapsulatedLength?: number;
}

const pixelTags = new Set<string>([Tag.PixelData, Tag.FloatPixelData, Tag.DoubleFloatPixelData]);
const UNDEFINED = 0xffffffff;
const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

export class Part10Walker {
  state: 'preamble' | 'meta' | 'inflate' | 'dataset' | 'skip' | 'done' = 'preamble';
  readonly meta: DicomJsonDataset = {};
  readonly root: DicomJsonDataset = {};
  readonly bulk: BulkDataRef[] = [];
  readonly warnings: string[] = [];
  pixelData?: WalkedPixelData;
  /** Extended Offset Table (7FE0,0001) and its Lengths (7FE0,0002), PS3.5 §A.4. */
  extendedOffsetTable?: bigint[];
  extendedOffsetTableLengths?: bigint[];
  transferSyntaxUid = '';
  deflated = false;
  /** Offset (in the walked stream) of the next unconsumed byte. */
  position = 0;

  private readonly queue = new ByteQueue();
  private readonly stack: Context[] = [];
  private headerBytes = 0;
  private skipLeft = 0;
  private metaEnd?: number;
  private implicit = false;
  private sawRootElement = false;
  private littleEndian = true;

  constructor(private readonly options: WalkerOptions) {}

  /** Feeds bytes and walks as far as they allow. Throws Part10Error on input that cannot be a Part 10 file. */
  feed(chunk: Buffer): void {
    this.queue.push(chunk);
    this.run();
  }

  /** The bytes received but not walked; used to hand the deflated remainder to an inflater. */
  drain(): Buffer[] {
    return this.queue.drain();
  }

  /** After 'inflate': the inflated data set will be fed from now on. */
  startInflated(): void {
    this.state = 'dataset';
    this.run();
  }

  /** The input ended: throws unless the walk stopped at an element boundary of the top level. */
  end(): void {
    if (this.state === 'preamble')
      throw new Part10Error('NotDicom', 'fewer than 132 bytes: no Part 10 preamble and DICM prefix');
    if (this.state === 'meta') {
      if (this.queue.length > 0) throw this.truncated('in the File Meta Information');
      this.finishMeta();
    }
    if (this.state === 'done') return;
    if (this.state === 'inflate') throw this.truncated('before the deflated data set');
    if (this.state === 'skip') throw this.truncated(`inside a value (${this.skipLeft} bytes missing)`);
    this.run();
    if (this.stack.length > 1) {
      const open = this.stack[this.stack.length - 1]!;
      throw this.truncated(
        `inside ${open.kind === 'dataset' ? 'an item' : open.kind === 'sequence' ? `sequence ${open.path}` : 'encapsulated pixel data'}`,
      );
    }
    if (this.queue.length > 0) throw this.truncated(`inside an element header (${this.queue.length} bytes left)`);
  }

  private truncated(where: string): Part10Error {
    return new Part10Error('Truncated', `the file ends ${where} at offset ${this.position + this.queue.length}`);
  }

  private malformed(what: string, at = this.position): Part10Error {
    return new Part10Error('Malformed', `${what} at offset ${at}`);
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case 'preamble':
          if (!this.readPreamble()) return;
          break;
        case 'meta':
          if (!this.readMetaElement()) return;
          break;
        case 'skip': {
          const n = this.queue.skip(this.skipLeft);
          this.position += n;
          this.skipLeft -= n;
          if (this.skipLeft > 0) return;
          this.state = 'dataset';
          break;
        }
        case 'dataset':
          if (!this.step()) return;
          break;
        case 'inflate':
        case 'done':
          return;
      }
    }
  }

  private readPreamble(): boolean {
    if (this.queue.length < 132) return false;
    const head = this.queue.peek(132);
    if (head.toString('latin1', 128, 132) !== 'DICM') {
      throw new Part10Error('NotDicom', 'no "DICM" prefix after the 128-byte preamble (PS3.10 §7.1)');
    }
    this.queue.skip(132);
    this.position = 132;
    this.headerBytes = 132;
    this.state = 'meta';
    return true;
  }

  private budget(more: number): void {
    if (this.headerBytes + more > this.options.maxHeaderBytes) {
      throw new Part10Error(
        'HeaderTooLarge',
        `reading the attributes needs more than ${this.options.maxHeaderBytes} bytes (at offset ${this.position})`,
      );
    }
  }

  // PS3.10 §7.1: the File Meta Information is always Explicit VR Little Endian. It ends where its Group
  // Length says; without one (or when the next tag is still group 0002 in a non-deflated file), at the first
  // tag of another group.
  private readMetaElement(): boolean {
    // A deflated data set starts right after the group: its first bytes must not be mistaken for a tag.
    if (this.metaEnd !== undefined && this.position >= this.metaEnd) {
      if (transferSyntaxOf(this.metaString(Tag.TransferSyntaxUID) ?? '')?.deflated) {
        this.finishMeta();
        return true;
      }
    }
    if (this.queue.length < 8) return false;
    const h = this.queue.peek(8);
    const group = h.readUInt16LE(0);
    if (group !== 0x0002) {
      this.finishMeta();
      return true;
    }
    const tag = hex4(group) + hex4(h.readUInt16LE(2));
    const vr = h.toString('latin1', 4, 6);
    if (!isVr(vr)) throw this.malformed(`File Meta Information element ${tag} has no valid VR ("${vr}")`);
    const long = VR[vr].lengthBytes === 4;
    const headerLength = long ? 12 : 8;
    if (long && this.queue.length < 12) return false;
    const length = long ? this.queue.peek(12).readUInt32LE(8) : h.readUInt16LE(6);
    if (length === UNDEFINED) throw this.malformed(`File Meta Information element ${tag} has undefined length`);
    this.budget(headerLength + length);
    if (this.queue.length < headerLength + length) return false;
    this.queue.skip(headerLength);
    const value = this.queue.take(length);
    this.position += headerLength + length;
    this.headerBytes += headerLength + length;
    this.meta[tag] = decodeElementValue(vr, value, { littleEndian: true });
    if (tag === Tag.FileMetaInformationGroupLength && length === 4) {
      this.metaEnd = this.position + value.readUInt32LE(0);
    }
    return true;
  }

  private metaString(tag: string): string | undefined {
    const v = this.meta[tag]?.Value?.[0];
    return typeof v === 'string' ? v : undefined;
  }

  private finishMeta(): void {
    const uid = this.metaString(Tag.TransferSyntaxUID);
    if (!uid)
      throw new Part10Error('MissingAttribute', 'the File Meta Information has no Transfer Syntax UID (0002,0010)');
    this.transferSyntaxUid = uid;
    // PS3.5 §10: transfer syntaxes not listed in PS3.6 are read as Explicit VR Little Endian, the encoding of
    // every standard transfer syntax but the Implicit VR and Big Endian ones.
    const ts = transferSyntaxOf(uid);
    this.implicit = ts ? !ts.explicitVr : false;
    this.littleEndian = ts ? ts.littleEndian : true;
    this.deflated = ts?.deflated ?? false;
    this.stack.push({
      kind: 'dataset',
      json: this.root,
      root: true,
      prefix: '',
      implicit: this.implicit,
      littleEndian: this.littleEndian,
    });
    this.state = this.deflated ? 'inflate' : 'dataset';
  }

  private top(): Context {
    return this.stack[this.stack.length - 1]!;
  }

  private closeTop(): void {
    const ctx = this.stack.pop()!;
    if (ctx.kind === 'sequence' && ctx.element.Value?.length === 0) delete ctx.element.Value; // PS3.18 §F.2.5
  }

  /** One step in the data set: close a finished context, or read one item / element / fragment header. */
  private step(): boolean {
    const ctx = this.top();
    if (ctx.end !== undefined && this.position >= ctx.end) {
      if (this.position > ctx.end)
        throw this.malformed(
          `a value runs past the end of its ${ctx.kind === 'sequence' ? 'sequence' : 'item'} (${ctx.end})`,
        );
      this.closeTop();
      return true;
    }
    if (ctx.kind === 'sequence') return this.readItem(ctx);
    if (ctx.kind === 'fragments') return this.readFragment(ctx);
    return this.readElement(ctx);
  }

  private readTagAndLength(littleEndian: boolean): { group: number; element: number; length: number } {
    const h = this.queue.peek(8);
    return littleEndian
      ? { group: h.readUInt16LE(0), element: h.readUInt16LE(2), length: h.readUInt32LE(4) }
      : { group: h.readUInt16BE(0), element: h.readUInt16BE(2), length: h.readUInt32BE(4) };
  }

  private consumeHeader(n: number): void {
    this.queue.skip(n);
    this.position += n;
    this.headerBytes += n;
  }

  private skipValue(n: number): void {
    this.skipLeft = n;
    this.state = 'skip';
  }

  private readItem(seq: SequenceContext): boolean {
    if (this.queue.length < 8) return false;
    const { group, element, length } = this.readTagAndLength(seq.littleEndian);
    const at = this.position;
    if (group === 0xfffe && element === 0xe000) {
      this.budget(8);
      this.consumeHeader(8);
      const end = length === UNDEFINED ? undefined : this.position + length;
      if (end !== undefined && seq.end !== undefined && end > seq.end)
        throw this.malformed(`item of ${seq.path} runs past its sequence`, at);
      const json: DicomJsonDataset = {};
      seq.element.Value!.push(json);
      const parent = seq.parent;
      this.stack.push({
        kind: 'dataset',
        json,
        root: false,
        prefix: `${seq.path}/${seq.items++}/`,
        implicit: seq.implicit,
        littleEndian: seq.littleEndian,
        ...(end === undefined ? {} : { end }),
        ...(parent.specificCharacterSet ? { specificCharacterSet: parent.specificCharacterSet } : {}),
        ...(parent.pixelRepresentation === undefined ? {} : { pixelRepresentation: parent.pixelRepresentation }),
      });
      return true;
    }
    if (group === 0xfffe && element === 0xe0dd) {
      this.consumeHeader(8);
      if (seq.end === undefined) this.closeTop();
      else
        this.warnings.push(
          `Sequence Delimitation Item inside defined-length sequence ${seq.path} at offset ${at} ignored`,
        );
      return true;
    }
    throw this.malformed(`expected an Item in sequence ${seq.path}, found (${hex4(group)},${hex4(element)})`, at);
  }

  private readFragment(fc: FragmentsContext): boolean {
    if (this.queue.length < 8) return false;
    const { group, element, length } = this.readTagAndLength(fc.littleEndian);
    const at = this.position;
    if (group === 0xfffe && element === 0xe000) {
      if (length === UNDEFINED) throw this.malformed('pixel data fragment with undefined length', at);
      if (fc.first) {
        if (length % 4 !== 0) throw this.malformed(`Basic Offset Table of ${length} bytes`, at);
        this.budget(8 + length);
        if (this.queue.length < 8 + length) return false;
        fc.first = false;
        this.consumeHeader(8);
        const table = this.queue.take(length);
        this.position += length;
        this.headerBytes += length;
        if (fc.top && this.pixelData) {
          for (let i = 0; i < length; i += 4) {
            this.pixelData.basicOffsetTable.push(fc.littleEndian ? table.readUInt32LE(i) : table.readUInt32BE(i));
          }
        }
        return true;
      }
      const lead = Math.min(length, 8);
      if (this.queue.length < 8 + lead) return false;
      if (fc.top && this.pixelData) {
        this.pixelData.fragments.push({ offset: at + 8, length });
        this.pixelData.fragmentStarts.push(Buffer.from(this.queue.peek(8 + lead).subarray(8)));
      }
      this.budget(8);
      this.consumeHeader(8);
      this.skipValue(length);
      return true;
    }
    if (group === 0xfffe && element === 0xe0dd) {
      this.consumeHeader(8);
      const total = this.position - fc.valueOffset;
      this.stack.pop();
      if (fc.top && this.pixelData) this.pixelData.encapsulatedLength = total;
      this.bulk.push({ path: fc.path, vr: fc.vr, offset: fc.valueOffset, length: total });
      if (!fc.top)
        fc.parent.json[fc.path.slice(fc.path.lastIndexOf('/') + 1)] = { vr: fc.vr, BulkDataURI: `bulkdata/${fc.path}` };
      return true;
    }
    throw this.malformed(`expected a pixel data Item, found (${hex4(group)},${hex4(element)})`, at);
  }

  /** PS3.5 §7.1.3 / Annex A.1: Implicit VR takes the VR from the dictionary (PS3.6). */
  private implicitVr(tag: string, ds: DatasetContext): string {
    const vr = lookupTag(tag)?.vr;
    if (!vr) return 'UN';
    if (!vr.includes('|')) return vr;
    if (vr === 'US|SS') return ds.pixelRepresentation === 1 ? 'SS' : 'US';
    // PS3.5 §A.1 c: Pixel Data, and the LUT and overlay data that may be OW, are OW in Implicit VR.
    if (vr.includes('OW')) return 'OW';
    return vr.split('|')[0]!;
  }

  private readElement(ds: DatasetContext): boolean {
    if (this.queue.length < 8) return false;
    const h = this.queue.peek(8);
    const le = ds.littleEndian;
    const group = le ? h.readUInt16LE(0) : h.readUInt16BE(0);
    const elementNumber = le ? h.readUInt16LE(2) : h.readUInt16BE(2);
    const at = this.position;
    const tag = hex4(group) + hex4(elementNumber);
    if (group === 0xfffe) return this.readDelimiterInDataset(ds, elementNumber, at);
    if (ds.root && !this.sawRootElement) {
      this.sawRootElement = true;
      this.detectVrEncoding(ds, h);
    }
    if (ds.root && this.options.untilTag !== undefined && tag > this.options.untilTag) {
      this.state = 'done';
      return false;
    }
    let vr: string;
    let length: number;
    let headerLength: number;
    if (ds.implicit) {
      vr = this.implicitVr(tag, ds);
      length = le ? h.readUInt32LE(4) : h.readUInt32BE(4);
      headerLength = 8;
    } else {
      vr = h.toString('latin1', 4, 6);
      if (!isVr(vr))
        throw this.malformed(
          `element (${tag.slice(0, 4)},${tag.slice(4)}) has no valid VR ("${vr.replace(/[^ -~]/g, '?')}")`,
          at,
        );
      if (VR[vr].lengthBytes === 4) {
        if (this.queue.length < 12) return false;
        const h12 = this.queue.peek(12);
        length = le ? h12.readUInt32LE(8) : h12.readUInt32BE(8);
        headerLength = 12;
      } else {
        length = le ? h.readUInt16LE(6) : h.readUInt16BE(6);
        headerLength = 8;
      }
    }
    const undefinedLength = length === UNDEFINED;
    const valueOffset = at + headerLength;
    if (!undefinedLength && ds.end !== undefined && valueOffset + length > ds.end) {
      throw this.malformed(`element ${tag} of ${length} bytes runs past the end of its item (${ds.end})`, at);
    }
    const path = ds.prefix + tag;
    const isPixel = pixelTags.has(tag);

    // Sequences: SQ, and undefined-length UN (PS3.5 §6.2.2: a sequence in Implicit VR Little Endian) or
    // undefined-length elements of Implicit VR (private sequences the dictionary does not know).
    if (vr === 'SQ' || (undefinedLength && !isPixel && (vr === 'UN' || ds.implicit))) {
      this.budget(headerLength);
      this.consumeHeader(headerLength);
      const element: DicomJsonElement = { vr: 'SQ', Value: [] };
      ds.json[tag] = element;
      const asImplicitLe = vr === 'UN';
      this.stack.push({
        kind: 'sequence',
        element,
        path,
        items: 0,
        implicit: asImplicitLe || ds.implicit,
        littleEndian: asImplicitLe || ds.littleEndian,
        parent: ds,
        ...(undefinedLength ? {} : { end: valueOffset + length }),
      });
      return true;
    }
    if (undefinedLength) {
      if (!isPixel) throw this.malformed(`element ${tag} (${vr}) has undefined length`, at);
      this.budget(headerLength);
      this.consumeHeader(headerLength);
      const pixelVr = vr === 'OW' || vr === 'OB' ? vr : 'OB';
      const top = ds.root && !this.pixelData;
      if (top) {
        this.pixelData = {
          tag,
          vr: pixelVr,
          offset: valueOffset,
          encapsulated: true,
          basicOffsetTable: [],
          fragments: [],
          fragmentStarts: [],
        };
      }
      this.stack.push({
        kind: 'fragments',
        tag,
        vr: pixelVr,
        path,
        valueOffset,
        first: true,
        top,
        littleEndian: ds.littleEndian,
        parent: ds,
      });
      return true;
    }
    if (isPixel && ds.root && !this.pixelData) {
      this.budget(headerLength);
      this.consumeHeader(headerLength);
      this.pixelData = {
        tag,
        vr,
        offset: valueOffset,
        length,
        encapsulated: false,
        basicOffsetTable: [],
        fragments: [],
        fragmentStarts: [],
      };
      this.bulk.push({ path, vr, offset: valueOffset, length });
      this.skipValue(length);
      return true;
    }
    const eot = ds.root && (tag === Tag.ExtendedOffsetTable || tag === Tag.ExtendedOffsetTableLengths);
    const isBulk = VR[vr as keyof typeof VR]?.kind === 'binary' && length > this.options.bulkDataThreshold;
    if (isBulk && !eot) {
      this.budget(headerLength);
      this.consumeHeader(headerLength);
      ds.json[tag] = { vr, BulkDataURI: `bulkdata/${path}` };
      this.bulk.push({ path, vr, offset: valueOffset, length });
      this.skipValue(length);
      return true;
    }
    this.budget(headerLength + length);
    if (this.queue.length < headerLength + length) return false;
    this.consumeHeader(headerLength);
    const value = this.queue.take(length);
    this.position += length;
    this.headerBytes += length;
    if (eot) {
      const values: bigint[] = [];
      for (let i = 0; i + 8 <= value.length; i += 8)
        values.push(le ? value.readBigUInt64LE(i) : value.readBigUInt64BE(i));
      if (tag === Tag.ExtendedOffsetTable) this.extendedOffsetTable = values;
      else this.extendedOffsetTableLengths = values;
      if (isBulk) {
        ds.json[tag] = { vr, BulkDataURI: `bulkdata/${path}` };
        this.bulk.push({ path, vr, offset: valueOffset, length });
        return true;
      }
    }
    const json = decodeElementValue(vr, value, {
      littleEndian: le,
      ...(ds.specificCharacterSet ? { specificCharacterSet: ds.specificCharacterSet } : {}),
    });
    ds.json[tag] = json;
    if (tag === Tag.SpecificCharacterSet)
      ds.specificCharacterSet = (json.Value ?? []).map((v) => (typeof v === 'string' ? v : ''));
    if (tag === Tag.PixelRepresentation && typeof json.Value?.[0] === 'number') ds.pixelRepresentation = json.Value[0];
    return true;
  }

  /**
   * Some writers declare one VR encoding and use the other. Like other toolkits, the first element of the data
   * set decides: two letters of a VR where Explicit VR has them mean Explicit VR, anything else Implicit VR.
   */
  private detectVrEncoding(ds: DatasetContext, h: Buffer): void {
    const looksExplicit = isVr(h.toString('latin1', 4, 6));
    if (looksExplicit === !ds.implicit) return;
    ds.implicit = !looksExplicit;
    this.implicit = ds.implicit;
    this.warnings.push(
      `the transfer syntax says ${looksExplicit ? 'Implicit' : 'Explicit'} VR but the data set is ${looksExplicit ? 'Explicit' : 'Implicit'} VR; read as found`,
    );
  }

  private readDelimiterInDataset(ds: DatasetContext, element: number, at: number): boolean {
    if (element === 0xe00d) {
      this.consumeHeader(8);
      if (!ds.root && ds.end === undefined) this.closeTop();
      else this.warnings.push(`Item Delimitation Item outside an undefined-length item at offset ${at} ignored`);
      return true;
    }
    if (element === 0xe0dd) {
      this.consumeHeader(8);
      if (ds.root) {
        this.warnings.push(`Sequence Delimitation Item at the top level at offset ${at} ignored`);
        return true;
      }
      // An undefined-length item that ends with its sequence, without an Item Delimitation Item.
      this.warnings.push(`item ended by a Sequence Delimitation Item at offset ${at}`);
      this.closeTop();
      const seq = this.top();
      if (seq.kind === 'sequence' && seq.end === undefined) this.closeTop();
      return true;
    }
    throw this.malformed(`unexpected (FFFE,${hex4(element)}) inside a data set`, at);
  }
}
