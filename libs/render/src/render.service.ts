import type { BulkDataRef, DicomJsonDataset, PixelDataIndex } from '@pacs/dicom';
import { DicomwebError, dicomwebUrls, multipartRelated } from '@pacs/dicomweb';
import { ImagingError, type Viewport } from '@pacs/imaging';
import {
  findInstanceDetails,
  findInstances,
  type IndexDatabase,
  type InstanceLocator,
  type StoredInstance,
  type StoredInstanceDetail,
} from '@pacs/index';
import { BLOB_STORE, INDEX_DATABASE, LOGGER, type Logger, LruCache } from '@pacs/runtime';
import { BlobNotFoundError, type BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import {
  frameCountOf,
  FrameRenderer,
  noPixelData,
  renderingError,
  type ImageOptions,
  type RenderableInstance,
} from './frame-renderer';
import { negotiateRenderedResponse, RenderedImageType } from './negotiate-rendered-response';
import { RENDER_SETTINGS, type RenderSettings } from './render-settings';
import type { RenderedQuery } from './rendered-query';
import { derivedPrefixOf, thumbnailKeyOf, type InstanceUids } from './thumbnail-key';

/** A study, series, instance or frames resource (PS3.18 §10.4.1.1.2, §10.4.1.1.5). */
export interface RenderTarget extends InstanceLocator {
  /** Frame numbers of a frames resource, from 1. */
  readonly frames?: readonly number[];
}

export interface RenderRequest {
  readonly accept: string | readonly string[] | undefined;
  readonly acceptQuery: string | readonly string[] | undefined;
  /** The DICOMweb root as the client sees it, for each part's Content-Location. */
  readonly baseUrl: string;
}

export interface RenderedResponse {
  readonly contentType: string;
  readonly body: Buffer | Readable;
}

/** One image of a rendered resource: a frame of an instance. */
interface ImageRef {
  readonly instance: RenderableInstance;
  readonly frameNumber: number;
}

type ThumbnailOutcome = 'stored' | 'exists' | 'skipped';

/** Most instances whose metadata is read to find a study's or series' representative image. */
const maxRepresentativeLookups = 16;
/** How long a study's or series' representative instance is reused before it is chosen again. */
const representativeTtlMs = 30_000;
/** A stored thumbnail bigger than this is not one of ours: it is re-rendered instead of being read into memory. */
const maxStoredThumbnailBytes = 4 * 1024 * 1024;

/**
 * Rendered and thumbnail resources (PS3.18 §10.4.1.1.2, §10.4.1.1.5): finds the instances of a resource in the
 * index, renders their frames through FrameRenderer, and keeps thumbnails in the blob store.
 */
@Injectable()
export class RenderService {
  private readonly instances: LruCache<RenderableInstance>;
  private readonly thumbnails: LruCache<Buffer>;
  /** Study or series → its representative instance, for a short while (new instances may change it). */
  private readonly representatives: LruCache<InstanceUids>;

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(RENDER_SETTINGS) private readonly settings: RenderSettings,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly renderer: FrameRenderer,
  ) {
    // Sized by the length of the metadata JSON (enhanced multi-frame data sets run to megabytes).
    this.instances = new LruCache<RenderableInstance>(
      { maxBytes: 64 * 1024 * 1024, maxEntries: settings.instanceCacheEntries, ttlMs: settings.instanceCacheTtlMs },
      (i) => (i as RenderableInstance & { jsonLength?: number }).jsonLength ?? 1024,
    );
    this.thumbnails = new LruCache<Buffer>(
      { maxBytes: settings.thumbnailCacheBytes, maxEntries: 100_000, ttlMs: settings.thumbnailCacheTtlMs },
      (b) => b.length,
    );
    this.representatives = new LruCache<InstanceUids>(
      { maxBytes: 10_000, maxEntries: 10_000, maxEntryBytes: 1, ttlMs: representativeTtlMs },
      () => 1,
    );
  }

  // ------------------------------------------------------------------------------------------ rendered

  /**
   * PS3.18 §10.4.1.1.2 rendered resources. One image (a single-frame instance, one frame) is one image body; a
   * resource of several images (study, series, multi-frame instance, frame list) is multipart/related of one
   * rendered image per frame, in series / instance / frame order, or its first image when only single-image media
   * types are acceptable (see negotiateRenderedResponse).
   */
  async rendered(target: RenderTarget, query: RenderedQuery, request: RenderRequest): Promise<RenderedResponse> {
    const { images, multipleImages } = await this.imagesOf(target);
    const choice = negotiateRenderedResponse(request.accept, { acceptQuery: request.acceptQuery, multipleImages });
    const options: ImageOptions = {
      mediaType: choice.mediaType,
      quality: query.quality ?? this.settings.renderedQuality,
      ...(query.window ? { window: query.window } : {}),
      ...(query.viewport ? { viewport: query.viewport } : {}),
      ...(query.iccProfile ? { iccProfile: query.iccProfile } : {}),
    };
    const renderer = this.renderer;
    const logger = this.logger;
    // A study or series rendering holds what can be rendered: an image of a kind we cannot decode is left out (and
    // logged); anything else (storage, the limit) fails the response.
    const severalInstances = target.sopUid === undefined;
    const renderOrSkip = async (ref: ImageRef): Promise<Buffer | undefined> => {
      try {
        return await renderer.render(ref.instance, ref.frameNumber, options);
      } catch (error) {
        const cause = error instanceof DicomwebError ? error.cause : undefined;
        if (!(severalInstances && cause instanceof ImagingError)) throw error;
        logger.warn({ code: cause.code, reason: cause.message }, 'an image of a rendered resource was left out');
        return undefined;
      }
    };
    const iterator = images[Symbol.asyncIterator]();
    // The first image is rendered before answering, so that its failure is a status, not a cut connection.
    let first: { ref: ImageRef; image: Buffer } | undefined;
    while (!first) {
      const next = await iterator.next();
      if (next.done) break;
      const image = await renderOrSkip(next.value);
      if (image) first = { ref: next.value, image };
    }
    if (!first) throw new DicomwebError('NotAcceptable', 'The resource holds no image that can be rendered');
    if (!choice.multipart) {
      await iterator.return?.();
      return { contentType: choice.mediaType, body: first.image };
    }
    const urls = dicomwebUrls(request.baseUrl);
    const part = (ref: ImageRef, body: Buffer) => {
      const i = ref.instance;
      const frames = frameCountOf(i) > 1 ? [ref.frameNumber] : undefined;
      return {
        headers: {
          'Content-Type': choice.mediaType,
          'Content-Location': urls.rendered(i.studyUid, i.seriesUid, i.sopUid, frames),
        },
        body,
      };
    };
    const head = first;
    async function* parts() {
      yield part(head.ref, head.image);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const image = await renderOrSkip(next.value);
        if (image) yield part(next.value, image);
      }
    }
    const { contentType, stream } = multipartRelated(parts(), { type: choice.mediaType });
    return { contentType, body: stream };
  }

  /** The images of a rendered resource, lazily (instances are looked up as their turn comes), and whether several. */
  private async imagesOf(target: RenderTarget): Promise<{ images: AsyncIterable<ImageRef>; multipleImages: boolean }> {
    if (target.sopUid !== undefined && target.seriesUid !== undefined) {
      const instance = await this.instance({ ...target, seriesUid: target.seriesUid, sopUid: target.sopUid });
      const count = frameCountOf(instance);
      if (count === 0) throw noPixelData(instance);
      const frameNumbers = target.frames ?? Array.from({ length: count }, (_, i) => i + 1);
      checkFrames(frameNumbers, count);
      async function* images() {
        for (const frameNumber of frameNumbers) yield { instance, frameNumber };
      }
      return { images: images(), multipleImages: frameNumbers.length > 1 };
    }
    const stored = await this.find(target);
    const load = (s: StoredInstance) => this.renderable(target.partitionId, s);
    async function* images() {
      for (const s of stored) {
        const instance = await load(s);
        const count = frameCountOf(instance);
        for (let frameNumber = 1; frameNumber <= count; frameNumber++) yield { instance, frameNumber };
      }
    }
    // A study or series is a collection of images, whatever their number today: multipart is its default.
    return { images: images(), multipleImages: true };
  }

  // ------------------------------------------------------------------------------------------ thumbnails

  /**
   * PS3.18 §10.4.1.1.5 thumbnail: one image representing the resource, fitted in `thumbnailSize` (or `viewport`).
   * The representative image: of an instance, its middle frame; of a frame list, its middle frame; of a series,
   * the middle instance (instance number order); of a study, that of its first series (series number order) that
   * has an image. The default-size thumbnail of an instance is kept in the blob store (precomputed from
   * instance.indexed, else stored when first asked) and answered from there without the index.
   */
  async thumbnail(
    target: RenderTarget,
    viewport: Viewport | undefined,
    request: Omit<RenderRequest, 'baseUrl'>,
  ): Promise<RenderedResponse> {
    const { mediaType } = negotiateRenderedResponse(request.accept, {
      acceptQuery: request.acceptQuery,
      multipleImages: false,
    });
    const size = this.settings.thumbnailSize;
    const isDefaultSize =
      viewport === undefined ||
      (viewport.width === size &&
        viewport.height === size &&
        [viewport.sx, viewport.sy, viewport.sw, viewport.sh].every((v) => v === undefined));
    const options: ImageOptions = {
      mediaType,
      quality: this.settings.thumbnailQuality,
      viewport: viewport ?? { width: size, height: size },
    };
    if (target.frames !== undefined && target.sopUid !== undefined && target.seriesUid !== undefined) {
      const instance = await this.instance({ ...target, seriesUid: target.seriesUid, sopUid: target.sopUid });
      const count = frameCountOf(instance);
      if (count === 0) throw noPixelData(instance);
      checkFrames(target.frames, count);
      const body = await this.renderer.render(instance, middleOf(target.frames), options);
      return { contentType: mediaType, body };
    }
    if (target.sopUid !== undefined && target.seriesUid !== undefined) {
      const uids = { ...target, seriesUid: target.seriesUid, sopUid: target.sopUid };
      return { contentType: mediaType, body: await this.instanceThumbnail(uids, options, isDefaultSize) };
    }
    const uids = await this.representativeOf(target);
    try {
      return { contentType: mediaType, body: await this.instanceThumbnail(uids, options, isDefaultSize) };
    } catch (error) {
      if (!(error instanceof DicomwebError && error.code === 'NotFound')) throw error;
      // The representative remembered was deleted since: choose again.
      this.representatives.delete(representativeKeyOf(target));
      const chosen = await this.representativeOf(target);
      return { contentType: mediaType, body: await this.instanceThumbnail(chosen, options, isDefaultSize) };
    }
  }

  /** The thumbnail of one instance: stored (read, or rendered and kept) at the default size, else rendered. */
  private async instanceThumbnail(uids: InstanceUids, options: ImageOptions, isDefaultSize: boolean): Promise<Buffer> {
    if (!isDefaultSize) return this.renderThumbnail(await this.instance(uids), options);
    const key = thumbnailKeyOf(uids, options.viewport!, options.mediaType);
    return (await this.storedThumbnail(key)) ?? (await this.makeThumbnail(uids, key, options));
  }

  /**
   * Precomputes the default thumbnail (JPEG) of an instance, unless it is stored already or the instance has no
   * image. Used by the instance.indexed consumer; idempotent.
   */
  async precomputeThumbnail(uids: InstanceUids): Promise<ThumbnailOutcome> {
    const size = this.settings.thumbnailSize;
    const options: ImageOptions = {
      mediaType: RenderedImageType.JPEG,
      quality: this.settings.thumbnailQuality,
      viewport: { width: size, height: size },
    };
    const key = thumbnailKeyOf(uids, options.viewport!, options.mediaType);
    if (await this.blobs.head(key)) return 'exists';
    const [detail] = await findInstanceDetails(this.db.sql, uids);
    if (!detail) return 'skipped';
    const instance = this.remember(uids.partitionId, detail);
    if (frameCountOf(instance) === 0) return 'skipped';
    try {
      const image = await this.renderThumbnail(instance, options);
      // Not kept in memory here: the replica that precomputes is not necessarily the one that serves.
      await this.blobs.put(key, Readable.from([image]), { contentType: options.mediaType });
      return 'stored';
    } catch (error) {
      const cause = error instanceof DicomwebError ? error.cause : error;
      if (cause instanceof ImagingError) return 'skipped';
      throw error;
    }
  }

  /** Removes everything derived from an instance (instance.deleted). */
  async forget(uids: InstanceUids): Promise<number> {
    const prefix = derivedPrefixOf(uids);
    this.thumbnails.deletePrefix(prefix);
    this.instances.delete(uidKeyOf(uids));
    let removed = 0;
    for await (const blob of this.blobs.list(prefix)) {
      await this.blobs.delete(blob.key);
      removed++;
    }
    return removed;
  }

  private renderThumbnail(instance: RenderableInstance, options: ImageOptions): Promise<Buffer> {
    const count = frameCountOf(instance);
    if (count === 0) throw noPixelData(instance);
    return this.renderer.render(instance, middleOf(Array.from({ length: count }, (_, i) => i + 1)), options);
  }

  /** The stored thumbnail, from memory or the blob store; undefined when there is none. */
  private async storedThumbnail(key: string): Promise<Buffer | undefined> {
    const cached = this.thumbnails.get(key);
    if (cached) return cached;
    let stream: Readable;
    try {
      stream = await this.blobs.get(key);
    } catch (error) {
      if (error instanceof BlobNotFoundError) return undefined;
      throw renderingError(error);
    }
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length > maxStoredThumbnailBytes) {
        stream.destroy();
        return undefined;
      }
    }
    // A copy of exactly its size: a chunk may be a view of a larger read buffer, which the cache would keep alive.
    const image = Buffer.concat(chunks, length);
    this.thumbnails.set(key, image);
    return image;
  }

  /** Renders the default thumbnail of an instance that has none stored yet, and stores it. */
  private async makeThumbnail(uids: InstanceUids, key: string, options: ImageOptions): Promise<Buffer> {
    const instance = await this.instance(uids);
    const image = await this.renderThumbnail(instance, options);
    try {
      await this.blobs.put(key, Readable.from([image]), { contentType: options.mediaType });
      this.thumbnails.set(key, image);
    } catch (error) {
      // The image is good; only keeping it failed. The next request renders it again.
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'storing a thumbnail failed');
    }
    return image;
  }

  /** The instance whose image represents a study or series (see thumbnail()). */
  private async representativeOf(target: RenderTarget): Promise<InstanceUids> {
    const cacheKey = representativeKeyOf(target);
    const cached = this.representatives.get(cacheKey);
    if (cached) return cached;
    const chosen = await this.chooseRepresentative(target);
    this.representatives.set(cacheKey, chosen);
    return chosen;
  }

  private async chooseRepresentative(target: RenderTarget): Promise<InstanceUids> {
    const stored = await this.find(target);
    const bySeries = new Map<string, StoredInstance[]>();
    for (const s of stored) {
      const list = bySeries.get(s.seriesUid);
      if (list) list.push(s);
      else bySeries.set(s.seriesUid, [s]);
    }
    let lookups = 0;
    for (const series of bySeries.values()) {
      for (const candidate of middleOut(series)) {
        if (lookups++ >= maxRepresentativeLookups) break;
        const instance = await this.renderable(target.partitionId, candidate);
        if (frameCountOf(instance) > 0) {
          return {
            partitionId: target.partitionId,
            studyUid: candidate.studyUid,
            seriesUid: candidate.seriesUid,
            sopUid: candidate.sopUid,
          };
        }
      }
    }
    throw new DicomwebError('NotAcceptable', `The ${target.seriesUid ? 'series' : 'study'} holds no image to show`);
  }

  // ------------------------------------------------------------------------------------------ index

  private async find(locator: InstanceLocator): Promise<StoredInstance[]> {
    const found = await findInstances(this.db.sql, locator);
    if (found.length === 0) {
      const what = locator.sopUid !== undefined ? 'instance' : locator.seriesUid !== undefined ? 'series' : 'study';
      throw new DicomwebError('NotFound', `No such ${what} in this archive`);
    }
    return found;
  }

  /**
   * The parsed metadata of an instance, from memory for `instanceCacheTtlMs` after it was read, else from the index
   * (one query). An instance not found is never remembered, so what STOW-RS just stored is found at once; a deleted
   * one is forgotten here by instance.deleted and, on other replicas, when its entry expires.
   */
  private async instance(uids: InstanceUids): Promise<RenderableInstance> {
    const cached = this.instances.get(uidKeyOf(uids));
    if (cached) return cached;
    const [detail] = await findInstanceDetails(this.db.sql, uids);
    if (!detail) throw new DicomwebError('NotFound', 'No such instance in this archive');
    return this.remember(uids.partitionId, detail);
  }

  /** The same for an instance the index just listed: the cached entry only if it is of the same stored object. */
  private async renderable(partitionId: number, stored: StoredInstance): Promise<RenderableInstance> {
    const uids = { partitionId, studyUid: stored.studyUid, seriesUid: stored.seriesUid, sopUid: stored.sopUid };
    const cached = this.instances.get(uidKeyOf(uids));
    if (cached && cached.blobKey === stored.blobKey) return cached;
    const [detail] = await findInstanceDetails(this.db.sql, uids);
    if (!detail) throw new DicomwebError('NotFound', 'No such instance in this archive');
    return this.remember(partitionId, detail);
  }

  private remember(partitionId: number, detail: StoredInstanceDetail): RenderableInstance {
    const instance: RenderableInstance & { jsonLength: number } = {
      partitionId,
      studyUid: detail.studyUid,
      seriesUid: detail.seriesUid,
      sopUid: detail.sopUid,
      blobKey: detail.blobKey,
      transferSyntaxUid: detail.transferSyntaxUid,
      dataset: JSON.parse(detail.datasetJson) as DicomJsonDataset,
      ...(detail.pixelIndex
        ? { pixelData: JSON.parse(detail.pixelIndex) as PixelDataIndex & { deflated?: boolean } }
        : {}),
      bulk: detail.bulk ? (JSON.parse(detail.bulk) as BulkDataRef[]) : [],
      jsonLength: detail.datasetJson.length + (detail.pixelIndex?.length ?? 0) + (detail.bulk?.length ?? 0),
    };
    this.instances.set(uidKeyOf(instance), instance);
    return instance;
  }
}

const representativeKeyOf = (t: RenderTarget): string => `${t.partitionId}|${t.studyUid}|${t.seriesUid ?? ''}`;
const uidKeyOf = (u: InstanceUids): string => `${u.partitionId}|${u.studyUid}|${u.seriesUid}|${u.sopUid}`;

/** PS3.18 §10.4.1.1.4: frame numbers start at 1; one the instance does not have is a resource that does not exist. */
function checkFrames(frameNumbers: readonly number[], count: number): void {
  const missing = frameNumbers.find((n) => n > count);
  if (missing !== undefined) {
    throw new DicomwebError('NotFound', `Frame ${missing} does not exist: the instance has ${count} frame(s)`);
  }
}

/** The middle element (the lower one of an even count): frame 1 of 1 or 2, frame 2 of 3 or 4. */
const middleOf = <T>(list: readonly T[]): T => list[Math.floor((list.length - 1) / 2)]!;

/** The middle element first, then outwards: the next candidates when the middle one has no image. */
function middleOut<T>(list: readonly T[]): T[] {
  const middle = Math.floor((list.length - 1) / 2);
  const out: T[] = [];
  for (let d = 0; out.length < list.length; d++) {
    if (middle + d < list.length) out.push(list[middle + d]!);
    if (d > 0 && middle - d >= 0) out.push(list[middle - d]!);
  }
  return out;
}
