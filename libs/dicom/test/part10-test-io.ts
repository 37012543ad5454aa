// Test helpers: feed files and buffers to the scanner in chosen chunk sizes, read byte ranges back.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inflateRawSync } from 'node:zlib';
import { Part10Scanner, type ByteRange, type FrameRanges, type Part10Scan } from '../src';

export const defaultScanOptions = { maxHeaderBytes: 8 * 1024 * 1024, bulkDataThreshold: 48 };

/** Splits `bytes` into chunks: a fixed size, or sizes from `sizes` taken in turn. */
export function chunked(bytes: Buffer, size: number | readonly number[]): Buffer[] {
  const sizes = typeof size === 'number' ? [size] : size;
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Scans chunks through a Part10Scanner and returns its result and the bytes it passed on. */
export async function scanChunks(
  chunks: Iterable<Buffer> | AsyncIterable<Buffer>,
  options = defaultScanOptions,
): Promise<{ scan: Part10Scan; passed: Buffer }> {
  const scanner = new Part10Scanner(options);
  const passed: Buffer[] = [];
  await pipeline(
    Readable.from(chunks, { objectMode: false }),
    scanner,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        passed.push(chunk);
        cb();
      },
    }),
  );
  return { scan: scanner.result(), passed: Buffer.concat(passed) };
}

export const scanBuffer = async (
  bytes: Buffer,
  size: number | readonly number[] = 65536,
  options = defaultScanOptions,
): Promise<Part10Scan> => (await scanChunks(chunked(bytes, size), options)).scan;

export async function scanFile(path: string, highWaterMark = 4096, options = defaultScanOptions): Promise<Part10Scan> {
  return (await scanChunks(createReadStream(path, { highWaterMark }), options)).scan;
}

/**
 * The bytes offsets of a scan refer to: the file itself, or for a deflated file the File Meta Information
 * followed by the inflated data set.
 */
export function addressedBytes(file: Buffer, scan: Pick<Part10Scan, 'deflated'>): Buffer {
  if (!scan.deflated) return file;
  const metaEnd = 132 + 12 + file.readUInt32LE(140);
  return Buffer.concat([file.subarray(0, metaEnd), inflateRawSync(file.subarray(metaEnd))]);
}

export const bytesOfRanges = (bytes: Buffer, ranges: readonly ByteRange[]): Buffer =>
  Buffer.concat(ranges.map((r) => bytes.subarray(r.offset, r.offset + r.length)));

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export const frameHashes = (bytes: Buffer, frames: readonly FrameRanges[]): string[] =>
  frames.map((f) => sha256(bytesOfRanges(bytes, f.ranges)));

export const readFile = (path: string): Buffer => readFileSync(path);
