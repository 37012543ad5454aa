import type { LruCacheLimits } from '@pacs/runtime';

/**
 * The limits of WADO-RS's in-memory caches: bounded by the bytes of their values (and by a count); one value may
 * take the whole bound (a series metadata document or a transcoded frame of a large image is one value).
 */
export const byteBound = (maxBytes: number, maxEntries = Number.POSITIVE_INFINITY): LruCacheLimits => ({
  maxBytes,
  maxEntries,
  maxEntryBytes: maxBytes,
});
