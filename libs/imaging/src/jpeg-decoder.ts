import { ImagingError } from './imaging-error';

/*
 * A JPEG (ITU-T T.81 / ISO 10918-1) decoder for what the WASM libjpeg-turbo build cannot do:
 *  - lossless, process 14 (SOF3), any predictor 1-7 (H.1.2.1), point transform, 2-16 bits, 1-4 components;
 *  - sequential DCT with 12-bit samples (SOF1, process 4 — JPEG Extended 12-bit of PS3.5 A.4.1).
 * Huffman coding only: arithmetic coding (processes 3/5, retired in DICOM) is refused. 8-bit DCT images
 * go to libjpeg-turbo, which is 10-20 times faster.
 */

export interface JpegComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
}

export interface JpegFrameHeader {
  /** The SOF marker (0xFFC0 baseline, 0xFFC1 extended, 0xFFC2 progressive, 0xFFC3 lossless, …). */
  readonly marker: number;
  readonly precision: number;
  readonly rows: number;
  readonly columns: number;
  readonly components: readonly JpegComponent[];
  /** Adobe APP14 colour transform flag when present (0: none/RGB, 1: YCbCr). */
  readonly adobeTransform?: number;
  readonly jfif: boolean;
}

const corrupt = (why: string): ImagingError => new ImagingError('CorruptPixelData', `JPEG: ${why}`);

/** Reads the frame header (and the APP markers that tell the colour space) without decoding. */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw corrupt('no SOI marker at the start of the frame');
  let adobeTransform: number | undefined;
  let jfif = false;
  let i = 2;
  while (i + 4 <= data.length) {
    if (data[i] !== 0xff) throw corrupt(`expected a marker at byte ${i}`);
    const marker = 0xff00 | data[i + 1];
    if (marker === 0xffff) {
      i++; // fill byte (B.1.1.2)
      continue;
    }
    const length = (data[i + 2] << 8) | data[i + 3];
    const body = i + 4;
    if (
      marker === 0xffe0 &&
      data[body] === 0x4a &&
      data[body + 1] === 0x46 &&
      data[body + 2] === 0x49 &&
      data[body + 3] === 0x46
    ) {
      jfif = true;
    }
    if (marker === 0xffee && length >= 12 && String.fromCharCode(...data.subarray(body, body + 5)) === 'Adobe') {
      adobeTransform = data[body + 11];
    }
    if (marker >= 0xffc0 && marker <= 0xffcf && marker !== 0xffc4 && marker !== 0xffc8 && marker !== 0xffcc) {
      if (body + 6 > data.length) throw corrupt('truncated frame header');
      const nf = data[body + 5];
      const components: JpegComponent[] = [];
      for (let c = 0; c < nf; c++) {
        const at = body + 6 + 3 * c;
        components.push({ id: data[at], h: data[at + 1] >> 4, v: data[at + 1] & 15, tq: data[at + 2] });
      }
      return {
        marker,
        precision: data[body],
        rows: (data[body + 1] << 8) | data[body + 2],
        columns: (data[body + 3] << 8) | data[body + 4],
        components,
        ...(adobeTransform !== undefined ? { adobeTransform } : {}),
        jfif,
      };
    }
    i = body + length - 2;
  }
  throw corrupt('no frame header (SOF) before the end of the data');
}

/** A Huffman table as the F.2.2.3 decoding procedure uses it (maxcode / valptr / mincode). */
interface HuffmanTable {
  readonly maxCode: Int32Array; // index 1..16; -1 when no code of that length
  readonly valPtr: Int32Array;
  readonly minCode: Int32Array;
  readonly values: Uint8Array;
  /** Fast path: for the next 9 bits, (length << 8 | value), 0 when the code is longer. */
  readonly lookup: Uint16Array;
}

function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  const lookup = new Uint16Array(512);
  // C.2: code sizes and codes in canonical order
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1];
    if (n > 0) {
      valPtr[length] = k;
      minCode[length] = code;
      for (let j = 0; j < n; j++, k++, code++) {
        if (length <= 9) {
          const shift = 9 - length;
          const base = code << shift;
          for (let f = 0; f < 1 << shift; f++) lookup[base + f] = (length << 8) | values[k];
        }
      }
      maxCode[length] = code - 1;
    }
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, valPtr, minCode, values, lookup };
}

/** Entropy-coded data reader: removes stuffed zero bytes, stops at markers (F.2.2.5). */
class BitReader {
  private bitBuffer = 0;
  private bitCount = 0;
  /** The marker met in the entropy-coded data (0 when none yet). */
  marker = 0;

  constructor(
    private readonly data: Uint8Array,
    public position: number,
  ) {}

  private fill(): void {
    while (this.bitCount <= 24) {
      let byte = 0;
      if (this.marker === 0 && this.position < this.data.length) {
        byte = this.data[this.position];
        if (byte === 0xff) {
          const next = this.data[this.position + 1];
          if (next === 0x00) {
            this.position += 2;
          } else {
            this.marker = 0xff00 | next; // leave position on the marker
            byte = 0;
          }
        } else {
          this.position++;
        }
      }
      this.bitBuffer = ((this.bitBuffer << 8) | byte) >>> 0;
      this.bitCount += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.bitCount < n) this.fill();
    this.bitCount -= n;
    return (this.bitBuffer >>> this.bitCount) & ((1 << n) - 1);
  }

  peek9(): number {
    if (this.bitCount < 9) this.fill();
    return (this.bitBuffer >>> (this.bitCount - 9)) & 0x1ff;
  }

  skip(n: number): void {
    this.bitCount -= n;
  }

  decode(table: HuffmanTable): number {
    const hit = table.lookup[this.peek9()];
    if (hit !== 0) {
      this.skip(hit >> 8);
      return hit & 0xff;
    }
    // F.2.2.3 DECODE for codes longer than 9 bits
    let code = this.bits(1);
    let length = 1;
    while (code > table.maxCode[length]) {
      code = (code << 1) | this.bits(1);
      if (++length > 16) throw corrupt('invalid Huffman code');
    }
    return table.values[table.valPtr[length] + code - table.minCode[length]];
  }

  /** F.2.2.1 RECEIVE + EXTEND: the signed value of an `s`-bit magnitude category. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    if (s === 16) return 32768; // H.1.2.2: category 16 has no extra bits and means 32768
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Byte-aligns and consumes an expected RSTn marker (E.2.4); resets the bit buffer. */
  restart(): void {
    this.bitBuffer = 0;
    this.bitCount = 0;
    if (this.marker === 0) {
      // the marker may not have been reached by fill() yet
      while (
        this.position + 1 < this.data.length &&
        !(this.data[this.position] === 0xff && this.data[this.position + 1] !== 0)
      ) {
        this.position++;
      }
      if (this.position + 1 < this.data.length) this.marker = 0xff00 | this.data[this.position + 1];
    }
    if (this.marker >= 0xffd0 && this.marker <= 0xffd7) {
      this.position += 2;
      this.marker = 0;
    }
  }

  /** After a scan: the offset of the next marker segment. */
  endOfScan(): number {
    let p = this.position;
    while (
      p + 1 < this.data.length &&
      !(this.data[p] === 0xff && this.data[p + 1] !== 0 && !(this.data[p + 1] >= 0xd0 && this.data[p + 1] <= 0xd7))
    )
      p++;
    return p;
  }
}

interface ScanComponent {
  readonly index: number;
  readonly td: number;
  readonly ta: number;
}

interface ParsedStream {
  frame: JpegFrameHeader;
  dcTables: (HuffmanTable | undefined)[];
  acTables: (HuffmanTable | undefined)[];
  quantTables: (Int32Array | undefined)[];
  restartInterval: number;
}

/**
 * Walks the marker segments, calling `scan` for each SOS with the reader positioned on the entropy-coded
 * data; `scan` returns the offset where the next marker is.
 */
function walk(
  data: Uint8Array,
  scan: (
    stream: ParsedStream,
    components: ScanComponent[],
    ss: number,
    se: number,
    ah: number,
    al: number,
    start: number,
  ) => number,
): ParsedStream {
  const frame = readJpegFrameHeader(data);
  const stream: ParsedStream = { frame, dcTables: [], acTables: [], quantTables: [], restartInterval: 0 };
  let i = 2;
  let scans = 0;
  while (i + 1 < data.length) {
    if (data[i] !== 0xff) {
      i++; // tolerate garbage between segments
      continue;
    }
    const marker = 0xff00 | data[i + 1];
    if (marker === 0xffd9) break; // EOI
    if (marker === 0xffff || marker === 0xff00 || (marker >= 0xffd0 && marker <= 0xffd7)) {
      i++;
      continue;
    }
    if (i + 4 > data.length) break;
    const length = (data[i + 2] << 8) | data[i + 3];
    const body = i + 4;
    const end = i + 2 + length;
    if (end > data.length) throw corrupt(`marker segment ${marker.toString(16)} runs past the end of the data`);
    switch (marker) {
      case 0xffc4: {
        // B.2.4.2 DHT: several tables may follow each other
        let p = body;
        while (p < end) {
          const tc = data[p] >> 4;
          const th = data[p] & 15;
          const counts = data.subarray(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          const values = data.slice(p + 17, p + 17 + total);
          (tc === 0 ? stream.dcTables : stream.acTables)[th] = buildHuffmanTable(counts, values);
          p += 17 + total;
        }
        break;
      }
      case 0xffdb: {
        // B.2.4.1 DQT (entries in zig-zag order)
        let p = body;
        while (p < end) {
          const pq = data[p] >> 4;
          const tq = data[p] & 15;
          const table = new Int32Array(64);
          p++;
          for (let k = 0; k < 64; k++) {
            table[k] = pq === 0 ? data[p + k] : (data[p + 2 * k] << 8) | data[p + 2 * k + 1];
          }
          p += pq === 0 ? 64 : 128;
          stream.quantTables[tq] = table;
        }
        break;
      }
      case 0xffdd:
        stream.restartInterval = (data[body] << 8) | data[body + 1];
        break;
      case 0xffcc:
        throw new ImagingError('UnsupportedPixelData', 'JPEG with arithmetic coding is not supported');
      case 0xffda: {
        const ns = data[body];
        const components: ScanComponent[] = [];
        for (let c = 0; c < ns; c++) {
          const id = data[body + 1 + 2 * c];
          const index = stream.frame.components.findIndex((fc) => fc.id === id);
          if (index < 0) throw corrupt(`scan names component ${id}, which the frame does not have`);
          components.push({ index, td: data[body + 2 + 2 * c] >> 4, ta: data[body + 2 + 2 * c] & 15 });
        }
        const p = body + 1 + 2 * ns;
        i = scan(stream, components, data[p], data[p + 1], data[p + 2] >> 4, data[p + 2] & 15, end);
        scans++;
        continue;
      }
      default:
        break; // SOFn (read already), APPn, COM, DNL…
    }
    i = end;
  }
  if (scans === 0) throw corrupt('no scan (SOS) in the data');
  return stream;
}

export interface JpegDecoded {
  readonly header: JpegFrameHeader;
  /** Interleaved samples, `components` per pixel, upsampled to the full frame size. */
  readonly samples: Uint16Array;
}

/**
 * Lossless JPEG (process 14, H.1): each sample is predicted from its neighbours Ra (left), Rb (above),
 * Rc (above-left) with the selection value of the scan, the Huffman-coded difference added modulo 2^16.
 * The first sample of the image is predicted by 2^(P-Pt-1), the first row by Ra, the first column by Rb,
 * and the same after each restart interval (H.1.2.1).
 */
export function decodeJpegLossless(data: Uint8Array): JpegDecoded {
  let samples: Uint16Array | undefined;
  let header: JpegFrameHeader | undefined;
  walk(data, (stream, components, predictor, _se, _ah, pt, start) => {
    const frame = stream.frame;
    header = frame;
    const { rows, columns } = frame;
    const nf = frame.components.length;
    if (frame.components.some((c) => c.h !== 1 || c.v !== 1)) {
      throw new ImagingError('UnsupportedPixelData', 'lossless JPEG with subsampled components is not supported');
    }
    if (predictor < 1 || predictor > 7) throw corrupt(`lossless predictor ${predictor}`);
    samples ??= new Uint16Array(rows * columns * nf);
    const out = samples;
    const tables = components.map((c) => {
      const table = stream.dcTables[c.td];
      if (!table) throw corrupt(`missing Huffman table ${c.td}`);
      return table;
    });
    const compIndex = Int32Array.from(components, (c) => c.index);
    const mask = (1 << (frame.precision - pt)) - 1;
    const initial = 1 << (frame.precision - pt - 1);
    const interval = stream.restartInterval;
    const ns = components.length;
    const rowStride = columns * nf;
    const length = data.length;
    // The bit reader of BitReader, inlined: this loop runs once per sample.
    let pos = start;
    let buf = 0;
    let cnt = 0;
    let marker = 0;
    let sinceRestart = 0;
    // H.1.2.1: the first line of the image and of every restart interval is predicted like the first line
    let restartRow = 0;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        if (interval > 0 && sinceRestart === interval) {
          // E.2.4: byte-align, consume RSTn, reset the predictors
          buf = 0;
          cnt = 0;
          if (marker === 0) {
            while (pos + 1 < length && !(data[pos] === 0xff && data[pos + 1] !== 0)) pos++;
            if (pos + 1 < length) marker = 0xff00 | data[pos + 1];
          }
          if (marker >= 0xffd0 && marker <= 0xffd7) {
            pos += 2;
            marker = 0;
          }
          sinceRestart = 0;
          restartRow = y;
        }
        for (let c = 0; c < ns; c++) {
          const at = (y * columns + x) * nf + compIndex[c];
          let prediction: number;
          if (y === restartRow) {
            prediction = x === 0 ? initial : out[at - nf]; // first line: 2^(P-Pt-1), then Ra
          } else if (x === 0) {
            prediction = out[at - rowStride]; // first column: Rb
          } else if (predictor === 1) {
            prediction = out[at - nf];
          } else {
            const ra = out[at - nf];
            const rb = out[at - rowStride];
            const rc = out[at - rowStride - nf];
            switch (predictor) {
              case 2:
                prediction = rb;
                break;
              case 3:
                prediction = rc;
                break;
              case 4:
                prediction = ra + rb - rc;
                break;
              case 5:
                prediction = ra + ((rb - rc) >> 1);
                break;
              case 6:
                prediction = rb + ((ra - rc) >> 1);
                break;
              default:
                prediction = (ra + rb) >> 1;
                break;
            }
          }
          // fill to at least 25 bits (F.2.2.5: stuffed zero bytes removed, a marker stops the data)
          while (cnt <= 24) {
            let byte = 0;
            if (marker === 0 && pos < length) {
              byte = data[pos];
              if (byte === 0xff) {
                const next = data[pos + 1];
                if (next === 0x00) pos += 2;
                else {
                  marker = 0xff00 | next;
                  byte = 0;
                }
              } else pos++;
            }
            buf = ((buf << 8) | byte) >>> 0;
            cnt += 8;
          }
          // F.2.2.3 DECODE: 9-bit table, then code by code
          const table = tables[c];
          const hit = table.lookup[(buf >>> (cnt - 9)) & 0x1ff];
          let s: number;
          if (hit !== 0) {
            cnt -= hit >> 8;
            s = hit & 0xff;
          } else {
            let code = (buf >>> (cnt - 1)) & 1;
            let l = 1;
            while (code > table.maxCode[l]) {
              if (++l > 16) throw corrupt('invalid Huffman code');
              code = (code << 1) | ((buf >>> (cnt - l)) & 1);
            }
            cnt -= l;
            s = table.values[table.valPtr[l] + code - table.minCode[l]];
          }
          let diff = 0;
          if (s === 16) {
            diff = 32768; // H.1.2.2: no extra bits
          } else if (s > 0) {
            while (cnt < s) {
              let byte = 0;
              if (marker === 0 && pos < length) {
                byte = data[pos];
                if (byte === 0xff) {
                  const next = data[pos + 1];
                  if (next === 0x00) pos += 2;
                  else {
                    marker = 0xff00 | next;
                    byte = 0;
                  }
                } else pos++;
              }
              buf = ((buf << 8) | byte) >>> 0;
              cnt += 8;
            }
            const v = (buf >>> (cnt - s)) & ((1 << s) - 1);
            cnt -= s;
            diff = v < 1 << (s - 1) ? v - (1 << s) + 1 : v; // F.2.2.1 EXTEND
          }
          out[at] = (prediction + diff) & mask;
        }
        sinceRestart++;
      }
    }
    if (pt > 0) for (let i = 0; i < out.length; i++) out[i] <<= pt;
    // the next marker segment
    let p = pos;
    while (p + 1 < length && !(data[p] === 0xff && data[p + 1] !== 0 && !(data[p + 1] >= 0xd0 && data[p + 1] <= 0xd7)))
      p++;
    return p;
  });
  if (!samples || !header) throw corrupt('no lossless scan');
  return { header, samples };
}

const zigzag = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
]);

/** cos table of A.3.3: idct[x * 8 + u] = C(u)/2 · cos((2x + 1)uπ/16). */
const idctTable = (() => {
  const t = new Float64Array(64);
  for (let x = 0; x < 8; x++) {
    for (let u = 0; u < 8; u++)
      t[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return t;
})();

/**
 * Sequential DCT (baseline or extended, Huffman, 8 or 12 bits), non-progressive. The inverse DCT is the
 * separable floating-point form of A.3.3, so results can differ by ±1 from libjpeg's integer IDCT.
 */
export function decodeJpegSequentialDct(data: Uint8Array): JpegDecoded {
  let planes: { coefficients: Int32Array; blocksPerLine: number; blocksPerColumn: number }[] | undefined;
  let header: JpegFrameHeader | undefined;
  const stream = walk(data, (parsed, components, ss, se, _ah, _al, start) => {
    const frame = parsed.frame;
    header = frame;
    if (frame.marker !== 0xffc0 && frame.marker !== 0xffc1) {
      throw new ImagingError(
        'UnsupportedPixelData',
        `JPEG process with SOF ${frame.marker.toString(16)} is not supported here`,
      );
    }
    if (ss !== 0 || se !== 63) throw corrupt('a sequential scan must cover coefficients 0-63');
    const hMax = Math.max(...frame.components.map((c) => c.h));
    const vMax = Math.max(...frame.components.map((c) => c.v));
    const mcusPerLine = Math.ceil(frame.columns / (8 * hMax));
    const mcusPerColumn = Math.ceil(frame.rows / (8 * vMax));
    planes ??= frame.components.map((c) => {
      const blocksPerLine = mcusPerLine * c.h;
      const blocksPerColumn = mcusPerColumn * c.v;
      return { coefficients: new Int32Array(blocksPerLine * blocksPerColumn * 64), blocksPerLine, blocksPerColumn };
    });
    const reader = new BitReader(data, start);
    const predictions = new Int32Array(frame.components.length);
    const decodeBlock = (c: ScanComponent, blockRow: number, blockCol: number): void => {
      const plane = planes![c.index];
      const dc = parsed.dcTables[c.td];
      const ac = parsed.acTables[c.ta];
      if (!dc || !ac) throw corrupt('missing Huffman table');
      const offset = (blockRow * plane.blocksPerLine + blockCol) * 64;
      const block = plane.coefficients;
      predictions[c.index] += reader.receiveExtend(reader.decode(dc));
      block[offset] = predictions[c.index];
      for (let k = 1; k < 64; ) {
        const rs = reader.decode(ac);
        const r = rs >> 4;
        const s = rs & 15;
        if (s === 0) {
          if (r !== 15) break; // EOB
          k += 16;
          continue;
        }
        k += r;
        if (k > 63) throw corrupt('AC coefficient index past 63');
        block[offset + zigzag[k]] = reader.receiveExtend(s);
        k++;
      }
    };
    const interval = parsed.restartInterval;
    let sinceRestart = 0;
    const restartIfDue = (): void => {
      if (interval > 0 && sinceRestart === interval) {
        reader.restart();
        predictions.fill(0);
        sinceRestart = 0;
      }
      sinceRestart++;
    };
    if (components.length === 1) {
      // A.2.2 non-interleaved: blocks of the component alone, covering only its own extent
      const c = components[0];
      const fc = frame.components[c.index];
      const width = Math.ceil(Math.ceil((frame.columns * fc.h) / hMax) / 8);
      const height = Math.ceil(Math.ceil((frame.rows * fc.v) / vMax) / 8);
      for (let by = 0; by < height; by++) {
        for (let bx = 0; bx < width; bx++) {
          restartIfDue();
          decodeBlock(c, by, bx);
        }
      }
    } else {
      for (let my = 0; my < mcusPerColumn; my++) {
        for (let mx = 0; mx < mcusPerLine; mx++) {
          restartIfDue();
          for (const c of components) {
            const fc = frame.components[c.index];
            for (let v = 0; v < fc.v; v++) for (let h = 0; h < fc.h; h++) decodeBlock(c, my * fc.v + v, mx * fc.h + h);
          }
        }
      }
    }
    return reader.endOfScan();
  });
  if (!planes || !header) throw corrupt('no scan');
  const frame = stream.frame;
  const { rows, columns, precision } = frame;
  const nf = frame.components.length;
  const hMax = Math.max(...frame.components.map((c) => c.h));
  const vMax = Math.max(...frame.components.map((c) => c.v));
  const max = (1 << precision) - 1;
  const shift = 1 << (precision - 1);
  const samples = new Uint16Array(rows * columns * nf);
  const tmp = new Float64Array(64);
  const block = new Float64Array(64);
  for (let ci = 0; ci < nf; ci++) {
    const fc = frame.components[ci];
    const q = stream.quantTables[fc.tq];
    if (!q) throw corrupt(`missing quantization table ${fc.tq}`);
    const plane = planes[ci];
    const width = plane.blocksPerLine * 8;
    const pixels = new Uint16Array(width * plane.blocksPerColumn * 8);
    const dequant = new Float64Array(64);
    for (let k = 0; k < 64; k++) dequant[zigzag[k]] = q[k];
    for (let b = 0; b < plane.blocksPerLine * plane.blocksPerColumn; b++) {
      const offset = b * 64;
      for (let k = 0; k < 64; k++) block[k] = plane.coefficients[offset + k] * dequant[k];
      // rows: tmp[y][x] = Σu idct[x][u]·block[y][u]; then columns
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          let sum = 0;
          for (let u = 0; u < 8; u++) sum += idctTable[x * 8 + u] * block[y * 8 + u];
          tmp[y * 8 + x] = sum;
        }
      }
      const bx = (b % plane.blocksPerLine) * 8;
      const by = Math.floor(b / plane.blocksPerLine) * 8;
      for (let x = 0; x < 8; x++) {
        for (let y = 0; y < 8; y++) {
          let sum = 0;
          for (let v = 0; v < 8; v++) sum += idctTable[y * 8 + v] * tmp[v * 8 + x];
          const value = Math.round(sum) + shift;
          pixels[(by + y) * width + bx + x] = value < 0 ? 0 : value > max ? max : value;
        }
      }
    }
    // crop and upsample (replication) into the interleaved output
    const sx = hMax / fc.h;
    const sy = vMax / fc.v;
    for (let y = 0; y < rows; y++) {
      const row = Math.floor(y / sy) * width;
      for (let x = 0; x < columns; x++) samples[(y * columns + x) * nf + ci] = pixels[row + Math.floor(x / sx)];
    }
  }
  return { header: frame, samples };
}
