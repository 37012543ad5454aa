import type { FrameRanges } from '@pacs/dicom';
import { DicomwebError, multipartRelated, type BulkdataRepresentation, type OutgoingPart } from '@pacs/dicomweb';
import type { EncodedFrame } from '@pacs/imaging';
import type { InstanceLocator } from '@pacs/index';
import { LruCache } from '@pacs/runtime';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { ByteReader } from './blob-byte-reader';
import { byteBound } from './byte-bound';
import { boundaryOf, entityTag, ifNoneMatchMatches, immutableCacheControl } from './http-caching';
import { InstanceCatalog, type CatalogEntry } from './instance-catalog';
import { multipartLength } from './multipart-length';
import { planFrames, type FramePlan } from './plan-representation';
import { StoredBytes } from './stored-bytes';
import { transcodeFrame } from './transcode-frame';
import { releaseWith } from './release-with';
import { notModified, type WadoResponse } from './wado-response';

const lengthOf = (frame: FrameRanges) => frame.ranges.reduce((n, r) => n + r.length, 0);

type InstanceAt = InstanceLocator & { seriesUid: string; sopUid: string };

/**
 * WADO-RS frames (PS3.18 §10.4.1.1.4): each frame read by its byte ranges in the original (one ranged read
 * per frame, whatever the instance's size), or transcoded. Transcoded frames are cached in memory (LRU,
 * bounded), keyed by the original's SHA-256, the frame and the transfer syntax.
 */
@Injectable()
export class FramesService {
  private readonly transcoded = new LruCache<EncodedFrame>(byteBound(128 * 1024 * 1024), (f) => f.bytes.length + 256);

  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly bytes: StoredBytes,
  ) {}

  async frames(
    locator: InstanceAt,
    frameNumbers: readonly number[],
    acceptable: readonly BulkdataRepresentation[],
    ifNoneMatch: string | string[] | undefined,
  ): Promise<WadoResponse> {
    const entry = await this.catalog.instance(locator);
    const pixel = entry.pixel;
    if (!pixel) throw new DicomwebError('NotFound', 'The instance has no pixel data, so it has no frames');
    if (pixel.frames.length === 0) {
      throw new DicomwebError(
        'NotFound',
        'The frames of this instance cannot be told apart (video, or fragments without an offset table); retrieve its pixel data as bulk data',
      );
    }
    const frames = frameNumbers.map((n) => {
      const frame = pixel.frames[n - 1];
      if (!frame)
        throw new DicomwebError(
          'NotFound',
          `Frame ${n} does not exist: the instance has ${pixel.frames.length} frame(s)`,
        );
      return frame;
    });
    const aligned = frames.every((f) => !f.bitOffset);
    const plan = planFrames(
      { transferSyntaxUid: entry.instance.transferSyntaxUid, pixel, pixelModule: entry.pixelModule },
      acceptable,
      aligned,
    );
    if (!plan) {
      throw new DicomwebError(
        'NotAcceptable',
        `The frames are stored as ${entry.instance.transferSyntaxUid}; none of the requested representations can be produced from it`,
      );
    }
    const etag = entityTag([
      'frames',
      entry.instance.sha256,
      frameNumbers.join(','),
      plan.kind,
      plan.partType,
      plan.transferSyntaxUid,
      plan.multipart ? 'multipart' : 'single',
    ]);
    const headers: Record<string, string> = { ETag: etag, 'Cache-Control': immutableCacheControl };
    if (ifNoneMatchMatches(ifNoneMatch, etag)) return notModified(headers);

    const reader = await this.bytes.reader(entry.stored);
    const partType = `${plan.partType}; transfer-syntax=${plan.transferSyntaxUid}`;
    const frame = (n: number, k: number) => this.frame(entry, reader, plan, n, frames[k]!);

    if (!plan.multipart) {
      const body = await frame(frameNumbers[0]!, 0);
      headers['Content-Length'] = String(Buffer.isBuffer(body) ? body.length : lengthOf(frames[0]!));
      return { contentType: partType, headers, body };
    }

    // The first frame is read before the response starts, so a missing object is a 404, not a cut body.
    const first = await frame(frameNumbers[0]!, 0);
    const boundary = boundaryOf(etag);
    const known = plan.kind === 'stored';
    const partHeaders = (length: number): Record<string, string> => ({
      'Content-Type': partType,
      'Content-Length': String(length),
    });
    async function* parts(): AsyncGenerator<OutgoingPart> {
      for (let k = 0; k < frameNumbers.length; k++) {
        const body = k === 0 ? first : await frame(frameNumbers[k]!, k);
        yield { headers: partHeaders(Buffer.isBuffer(body) ? body.length : lengthOf(frames[k]!)), body };
      }
    }
    const { contentType, stream } = multipartRelated(parts(), {
      type: plan.partType,
      params: { 'transfer-syntax': plan.transferSyntaxUid },
      boundary,
    });
    releaseWith(stream, first);
    if (known) {
      const lengths = frames.map((f) => ({ headers: partHeaders(lengthOf(f)), length: lengthOf(f) }));
      headers['Content-Length'] = String(multipartLength(boundary, lengths));
    }
    return { contentType, headers, body: stream };
  }

  /** One frame's bytes in the plan's representation. */
  private async frame(
    entry: CatalogEntry,
    reader: ByteReader,
    plan: FramePlan,
    frameNumber: number,
    frame: FrameRanges,
  ): Promise<Buffer | Readable> {
    if (plan.kind === 'stored') return reader.open(frame.ranges);
    return (await this.transcodedFrame(entry, reader, frameNumber, frame, plan.transferSyntaxUid)).bytes;
  }

  /** Frame `frameNumber` of an instance in `transferSyntaxUid`, from the cache or transcoded now. */
  async transcodedFrame(
    entry: CatalogEntry,
    reader: ByteReader,
    frameNumber: number,
    frame: FrameRanges,
    transferSyntaxUid: string,
  ): Promise<EncodedFrame> {
    const key = `${entry.instance.sha256}/${frameNumber}/${transferSyntaxUid}`;
    const cached = this.transcoded.get(key);
    if (cached) return cached;
    const pm = entry.pixelModule;
    if (!pm) throw new DicomwebError('NotAcceptable', 'The instance has no valid Image Pixel module to transcode');
    const encoded = await transcodeFrame(
      entry.instance.transferSyntaxUid,
      await reader.read(frame.ranges),
      pm,
      transferSyntaxUid,
      frame.bitOffset ?? 0,
    );
    this.transcoded.set(key, encoded);
    return encoded;
  }

  /** Forgets the transcoded frames of an original. */
  evict(sha256: string): void {
    this.transcoded.deletePrefix(`${sha256}/`);
  }
}
