/** How much an LRU cache may hold, and for how long. */
export interface LruCacheLimits {
  /** Sum of the sizes of the values held; the least recently used go first when a new one needs room. */
  readonly maxBytes: number;
  /** Entries held, whatever their size. */
  readonly maxEntries: number;
  /** A value larger than this is not kept at all (it would push out many small ones). Default maxBytes / 8. */
  readonly maxEntryBytes?: number;
  /** Milliseconds an entry stays valid after it was set; default: until pushed out. */
  readonly ttlMs?: number;
}

interface Entry<V> {
  readonly value: V;
  readonly size: number;
  readonly expires: number;
}

/**
 * A least-recently-used cache bounded in bytes and in entries (a Map keeps insertion order: a hit moves the entry
 * to the end, eviction takes from the front). `sizeOf` gives each value's size in bytes. The in-memory caches of
 * the features (WADO-RS metadata, instance details and transcoded frames; rendered images and thumbnails).
 */
export class LruCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private bytes = 0;
  private readonly maxEntryBytes: number;

  constructor(
    private readonly limits: LruCacheLimits,
    private readonly sizeOf: (value: V) => number,
    private readonly now: () => number = Date.now,
  ) {
    this.maxEntryBytes = limits.maxEntryBytes ?? Math.floor(limits.maxBytes / 8);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held. */
  get byteSize(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) {
      this.bytes -= entry.size;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` unless it is larger than maxEntryBytes; returns whether it is kept. */
  set(key: string, value: V): boolean {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.maxEntryBytes || size > this.limits.maxBytes || this.limits.maxEntries < 1) return false;
    while (this.entries.size >= this.limits.maxEntries || this.bytes + size > this.limits.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
    const expires = this.limits.ttlMs === undefined ? Number.POSITIVE_INFINITY : this.now() + this.limits.ttlMs;
    this.entries.set(key, { value, size, expires });
    this.bytes += size;
    return true;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }

  /** Removes every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }
}
