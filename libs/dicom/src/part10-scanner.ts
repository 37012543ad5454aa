import { Transform, type TransformCallback } from 'node:stream';
import { indexFrames } from './frame-index';
import { InflatingFeeder } from './inflating-feeder';
import { Part10Error } from './part10-error';
import { type Part10Scan } from './part10-types';
import { Part10Walker } from './part10-walker';

export interface Part10ScannerOptions {
  /** Most bytes held to read the attributes (everything but bulk data and pixel data): HeaderTooLarge beyond. */
  maxHeaderBytes: number;
  /** Binary values (OB OD OF OL OV OW UN) longer than this many bytes become BulkDataURIs. */
  bulkDataThreshold: number;
}

const asError = (e: unknown): Error =>
  e instanceof Error ? e : new Part10Error('Malformed', `unexpected failure: ${String(e)}`);

/**
 * A pass-through stream over a whole Part 10 file: every chunk is passed on unchanged as it arrives, while the
 * elements are walked (PS3.10 §7.1, PS3.5 §7). It holds at most `maxHeaderBytes` of attribute values; bulk
 * values and the pixel data are skipped a chunk at a time, so memory stays flat however large the file is.
 * Bad input ends the stream with a Part10Error ('error' event), never a throw. `result()` is valid once the
 * readable side has ended (or 'finish' has been emitted).
 */
export class Part10Scanner extends Transform {
  private readonly walker: Part10Walker;
  private feeder?: InflatingFeeder;
  private size = 0;
  private scan?: Part10Scan;

  constructor(options: Part10ScannerOptions) {
    super();
    this.walker = new Part10Walker({
      maxHeaderBytes: options.maxHeaderBytes,
      bulkDataThreshold: options.bulkDataThreshold,
    });
  }

  /** What was read; throws before the stream has ended. */
  result(): Part10Scan {
    if (!this.scan) throw new Error('Part10Scanner.result() is available once the stream has ended without error');
    return this.scan;
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    this.size += bytes.length;
    this.push(bytes);
    if (this.feeder) {
      this.feeder.write(bytes).then(
        () => callback(),
        (e: unknown) => callback(asError(e)),
      );
      return;
    }
    try {
      this.walker.feed(bytes);
      if (this.walker.state === 'inflate') {
        const feeder = new InflatingFeeder(this.walker);
        this.feeder = feeder;
        const rest = this.walker.drain();
        this.walker.startInflated();
        rest
          .reduce((p, c) => p.then(() => feeder.write(c)), Promise.resolve())
          .then(
            () => callback(),
            (e: unknown) => callback(asError(e)),
          );
        return;
      }
      callback();
    } catch (e) {
      callback(asError(e));
    }
  }

  override _flush(callback: TransformCallback): void {
    const finish = (): void => {
      try {
        this.walker.end();
        this.scan = this.build();
        callback();
      } catch (e) {
        callback(asError(e));
      }
    };
    if (this.feeder) this.feeder.end().then(finish, (e: unknown) => callback(asError(e)));
    else finish();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.feeder?.destroy();
    callback(error);
  }

  private build(): Part10Scan {
    const w = this.walker;
    const scan: Part10Scan = {
      transferSyntaxUid: w.transferSyntaxUid,
      meta: w.meta,
      dataset: w.root,
      bulk: w.bulk,
      size: this.size,
      deflated: w.deflated,
      warnings: w.warnings,
    };
    const p = w.pixelData;
    if (p) {
      if (p.encapsulated && p.encapsulatedLength === undefined)
        throw new Part10Error('Truncated', 'the pixel data has no Sequence Delimitation Item');
      const pixelData = {
        tag: p.tag,
        vr: p.vr,
        offset: p.offset,
        ...(p.length === undefined ? {} : { length: p.length }),
        encapsulated: p.encapsulated,
        basicOffsetTable: p.basicOffsetTable,
        fragments: p.fragments,
      };
      const frames = indexFrames({
        dataset: w.root,
        transferSyntaxUid: w.transferSyntaxUid,
        pixelData,
        fragmentStarts: p.fragmentStarts,
        ...(w.extendedOffsetTable ? { extendedOffsetTable: w.extendedOffsetTable } : {}),
        warnings: w.warnings,
      });
      scan.pixelData = { ...pixelData, ...frames };
    }
    return scan;
  }
}
