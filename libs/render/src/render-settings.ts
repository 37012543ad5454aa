import { availableParallelism } from 'node:os';

/** How the renderer uses the machine. One default each, here; RENDER_SETTINGS injects them. */
export interface RenderSettings {
  /** Decodes and encodes running at once: one per core (they are CPU-bound), at least 2 so a read overlaps work. */
  readonly concurrency: number;
  /** Renderings waiting for a slot before requests are answered 503 (Retry-After) instead of queueing. */
  readonly maxQueued: number;
  /** Rendered images kept in memory (bytes), keyed by stored object, frame and every rendering parameter. */
  readonly renderedCacheBytes: number;
  /** Thumbnails read from the blob store kept in memory (bytes), for `thumbnailCacheTtlMs`. */
  readonly thumbnailCacheBytes: number;
  /** How long a thumbnail held in memory is served without looking at the blob store (bounds staleness after a delete). */
  readonly thumbnailCacheTtlMs: number;
  /** Parsed metadata of instances kept in memory (entries). */
  readonly instanceCacheEntries: number;
  /**
   * How long an instance's metadata is used without asking the index again. Stored objects never change (a SOP
   * Instance UID stored again with other content is refused by the index); this only bounds how long a deleted
   * instance stays renderable on a replica that did not handle its instance.deleted.
   */
  readonly instanceCacheTtlMs: number;
  /** PS3.18 §10.4.1.1.5 leaves the thumbnail's size to the server: it fits in this square unless `viewport` says otherwise. */
  readonly thumbnailSize: number;
  /** JPEG and WebP quality of thumbnails (rendered images use the request's `quality`, else `renderedQuality`). */
  readonly thumbnailQuality: number;
  readonly renderedQuality: number;
}

export const defaultRenderSettings: RenderSettings = {
  concurrency: Math.max(2, availableParallelism()),
  maxQueued: 512,
  renderedCacheBytes: 64 * 1024 * 1024,
  thumbnailCacheBytes: 16 * 1024 * 1024,
  thumbnailCacheTtlMs: 60_000,
  instanceCacheEntries: 512,
  instanceCacheTtlMs: 30_000,
  thumbnailSize: 128,
  thumbnailQuality: 75,
  renderedQuality: 90,
};

export const RENDER_SETTINGS = Symbol('RenderSettings');
