import { Tag, type BulkDataRef, type DicomJsonDataset, type PixelDataIndex } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import {
  decodeFrame,
  ImagingError,
  pixelModuleOf,
  renderFrame,
  RenderedMediaType,
  resolveLutBulkData,
  type IccProfileOption,
  type Viewport,
  type WindowSetting,
} from '@pacs/imaging';
import { BLOB_STORE, LruCache } from '@pacs/runtime';
import { BlobNotFoundError, BlobRangeError, StorageUnavailableError, type BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { ConcurrencyLimit } from './concurrency-limit';
import { datasetOfFrame } from './dataset-of-frame';
import { RenderedImageType } from './negotiate-rendered-response';
import { readFrameBytes } from './read-frame-bytes';
import { RENDER_SETTINGS, type RenderSettings } from './render-settings';

/** What rendering an instance needs, parsed once per stored object. */
export interface RenderableInstance {
  readonly partitionId: number;
  readonly studyUid: string;
  readonly seriesUid: string;
  readonly sopUid: string;
  /** The stored object: names one ingest of the instance, so it keys everything derived from its bytes. */
  readonly blobKey: string;
  readonly transferSyntaxUid: string;
  readonly dataset: DicomJsonDataset;
  /** Undefined when the instance has no (top-level) pixel data. */
  readonly pixelData?: PixelDataIndex & { deflated?: boolean };
  readonly bulk: readonly BulkDataRef[];
}

/** How one image is rendered (PS3.18 §8.3.5.1). */
export interface ImageOptions {
  readonly mediaType: RenderedImageType;
  readonly window?: WindowSetting;
  readonly viewport?: Viewport;
  readonly quality: number;
  readonly iccProfile?: IccProfileOption;
}

/** Frames of the instance that can be rendered: 0 when it has no pixel data, or one video bitstream. */
export const frameCountOf = (instance: RenderableInstance): number =>
  instance.pixelData?.tag === Tag.PixelData ? instance.pixelData.frames.length : 0;

/**
 * Renders one frame of a stored instance: reads its byte ranges, decodes, applies the grayscale or colour pipeline
 * and the viewport, encodes. At most `concurrency` run at once (ConcurrencyLimit); results are kept in a bounded
 * LRU keyed by stored object, frame and parameters, and the same rendering asked for twice at once is done once.
 */
@Injectable()
export class FrameRenderer {
  private readonly limit: ConcurrencyLimit;
  private readonly cache: LruCache<Buffer>;
  private readonly inFlight = new Map<string, Promise<Buffer>>();

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(RENDER_SETTINGS) settings: RenderSettings,
  ) {
    this.limit = new ConcurrencyLimit(settings.concurrency, settings.maxQueued);
    this.cache = new LruCache<Buffer>(
      { maxBytes: settings.renderedCacheBytes, maxEntries: 100_000, maxEntryBytes: 4 * 1024 * 1024 },
      (b) => b.length,
    );
  }

  /** Renderings running and waiting, and what the cache holds (for tests and metrics). */
  get stats(): { active: number; queued: number; cachedImages: number; cachedBytes: number } {
    return {
      active: this.limit.active,
      queued: this.limit.queued,
      cachedImages: this.cache.size,
      cachedBytes: this.cache.byteSize,
    };
  }

  /**
   * The rendered image of frame `frameNumber` (from 1).
   * @throws DicomwebError: 404 for a frame the instance does not have, 400 for options that cannot be applied,
   *   406 for pixel data that cannot be rendered, 503 when busy or when storage is unavailable.
   */
  async render(instance: RenderableInstance, frameNumber: number, options: ImageOptions): Promise<Buffer> {
    const key = cacheKeyOf(instance, frameNumber, options);
    const cached = this.cache.get(key);
    if (cached) return cached;
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.limit
        .run(() => this.produce(instance, frameNumber, options))
        .then((image) => {
          this.cache.set(key, image);
          return image;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return running;
  }

  /** Runs `task` under the same concurrency limit as renderings (for work of the same kind, e.g. precomputing). */
  runLimited<T>(task: () => Promise<T>): Promise<T> {
    return this.limit.run(task);
  }

  private async produce(instance: RenderableInstance, frameNumber: number, options: ImageOptions): Promise<Buffer> {
    try {
      const frames = frameCountOf(instance);
      if (frames === 0) throw noPixelData(instance);
      const frame = instance.pixelData!.frames[frameNumber - 1];
      if (!frame) {
        throw new DicomwebError('NotFound', `Frame ${frameNumber} does not exist: the instance has ${frames} frame(s)`);
      }
      const deflated = instance.pixelData!.deflated === true;
      const bytes = await readFrameBytes(this.blobs, instance.blobKey, frame.ranges, { deflated });
      const dataset = await resolveLutBulkData(datasetOfFrame(instance.dataset, frameNumber), (uri) =>
        this.bulkDataOf(instance, uri),
      );
      const pixelModule = pixelModuleOf(dataset);
      const decoded = await decodeFrame(instance.transferSyntaxUid, bytes, pixelModule, {
        ...(frame.bitOffset === undefined ? {} : { bitOffset: frame.bitOffset }),
      });
      const render = (format: RenderedMediaType) =>
        renderFrame(decoded, pixelModule, {
          format,
          quality: options.quality,
          ...(options.window ? { window: options.window } : {}),
          ...(options.viewport ? { viewport: options.viewport } : {}),
          ...(options.iccProfile ? { iccProfile: options.iccProfile } : {}),
        });
      if (options.mediaType === RenderedImageType.GIF) {
        // @pacs/imaging encodes JPEG, PNG and WebP: GIF (Table 8.7.4-1, required) is made from the lossless PNG.
        return await sharp(await render(RenderedMediaType.PNG))
          .gif()
          .toBuffer();
      }
      return await render(options.mediaType);
    } catch (error) {
      throw renderingError(error);
    }
  }

  /** The bytes of a BulkDataURI of the instance ('bulkdata/<path>', relative, as the index keeps them). */
  private async bulkDataOf(instance: RenderableInstance, uri: string): Promise<Uint8Array> {
    const path = uri.replace(/^.*bulkdata\//, '');
    const ref = instance.bulk.find((r) => r.path === path);
    if (!ref) throw new ImagingError('MissingAttribute', `The bulk data ${path} of the instance is not indexed`);
    return readFrameBytes(this.blobs, instance.blobKey, [{ offset: ref.offset, length: ref.length }], {
      deflated: instance.pixelData?.deflated === true,
    });
  }
}

const cacheKeyOf = (instance: RenderableInstance, frameNumber: number, o: ImageOptions): string =>
  [
    instance.blobKey,
    frameNumber,
    o.mediaType,
    o.quality,
    o.window ? `${o.window.center},${o.window.width},${o.window.function ?? 'LINEAR'}` : '',
    o.viewport ? [o.viewport.width, o.viewport.height, o.viewport.sx, o.viewport.sy, o.viewport.sw, o.viewport.sh] : '',
    o.iccProfile ?? '',
  ].join('|');

export function noPixelData(instance: RenderableInstance): DicomwebError {
  const what =
    instance.pixelData === undefined
      ? 'has no pixel data'
      : instance.pixelData.tag !== Tag.PixelData
        ? 'has float pixel data, which is not rendered'
        : 'holds a video bitstream, which is not rendered as images';
  // PS3.18 §8.7.4 Table 8.7.4-1: only the image categories are rendered here; nothing acceptable can be produced.
  return new DicomwebError('NotAcceptable', `The instance ${what}`);
}

/**
 * What a failed rendering means to the client. ImagingError: UnsupportedTransferSyntax / UnsupportedTranscode /
 * UnsupportedPixelData → 406 (PS3.18 §8.7.8.1: no acceptable rendering can be produced); InvalidRenderOptions →
 * 400 (the request's parameters); the stored data being incomplete or corrupt (MissingAttribute, InvalidAttribute,
 * CorruptPixelData) → 406 as well, with the reason: no rendering of it can be produced, whatever is asked.
 * Storage: unavailable → 503 (retryable), the object or range missing → the stored data is incomplete.
 */
export function renderingError(error: unknown): unknown {
  if (error instanceof DicomwebError) return error;
  if (error instanceof ImagingError) {
    if (error.code === 'InvalidRenderOptions') return new DicomwebError('BadRequest', error.message, { cause: error });
    const prefix =
      error.code === 'UnsupportedTransferSyntax' ||
      error.code === 'UnsupportedTranscode' ||
      error.code === 'UnsupportedPixelData'
        ? 'The pixel data cannot be rendered'
        : 'The stored pixel data is incomplete or corrupt and cannot be rendered';
    return new DicomwebError('NotAcceptable', `${prefix}: ${error.message}`, { cause: error });
  }
  if (error instanceof StorageUnavailableError) {
    return new DicomwebError('Unavailable', 'Object storage is unavailable', {
      cause: error,
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  if (error instanceof BlobNotFoundError || error instanceof BlobRangeError) {
    return new DicomwebError('NotFound', 'The stored object of the instance is missing or shorter than indexed', {
      cause: error,
    });
  }
  return error;
}
