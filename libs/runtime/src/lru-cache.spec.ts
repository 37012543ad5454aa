import { LruCache } from './lru-cache';

const bytes = (n: number) => Buffer.alloc(n);

describe('LruCache', () => {
  it('drops the least recently used entries to stay within its bytes', () => {
    const cache = new LruCache<Buffer>({ maxBytes: 100, maxEntries: 10, maxEntryBytes: 100 }, (b) => b.length);
    cache.set('a', bytes(40));
    cache.set('b', bytes(40));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', bytes(40));
    expect([cache.get('a') !== undefined, cache.get('b') !== undefined, cache.get('c') !== undefined]).toEqual([
      true,
      false,
      true,
    ]);
    expect(cache.byteSize).toBe(80);
  });

  it('stays within its number of entries', () => {
    const cache = new LruCache<Buffer>({ maxBytes: 1000, maxEntries: 2 }, (b) => b.length);
    for (const k of ['a', 'b', 'c']) cache.set(k, bytes(1));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not keep a value larger than maxEntryBytes, and replaces a key', () => {
    const cache = new LruCache<Buffer>({ maxBytes: 100, maxEntries: 10, maxEntryBytes: 30 }, (b) => b.length);
    expect(cache.set('big', bytes(31))).toBe(false);
    cache.set('k', bytes(10));
    cache.set('k', bytes(20));
    expect([cache.size, cache.byteSize]).toEqual([1, 20]);
  });

  it('forgets entries after their time to live', () => {
    let now = 0;
    const cache = new LruCache<Buffer>(
      { maxBytes: 100, maxEntries: 10, ttlMs: 50 },
      (b) => b.length,
      () => now,
    );
    cache.set('k', bytes(1));
    now = 49;
    expect(cache.get('k')).toBeDefined();
    now = 50;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.byteSize).toBe(0);
  });

  it('removes entries by key prefix', () => {
    const cache = new LruCache<Buffer>({ maxBytes: 100, maxEntries: 10 }, (b) => b.length);
    for (const k of ['x/1', 'x/2', 'y/1']) cache.set(k, bytes(1));
    cache.deletePrefix('x/');
    expect([cache.get('x/1'), cache.get('x/2')]).toEqual([undefined, undefined]);
    expect(cache.get('y/1')).toBeDefined();
  });
});

describe('LruCache bounded by bytes only, a value as large as the whole bound allowed (WADO-RS)', () => {
  const lru = (maxBytes: number, maxEntries = Number.POSITIVE_INFINITY) =>
    new LruCache<Buffer>({ maxBytes, maxEntries, maxEntryBytes: maxBytes }, (b) => b.length);

  it('evicts the least recently used entries once the bytes exceed the bound', () => {
    const cache = lru(10);
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    cache.get('a');
    cache.set('c', Buffer.alloc(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toHaveLength(4);
    expect(cache.get('c')).toHaveLength(4);
    expect(cache.byteSize).toBe(8);
  });

  it('bounds the number of entries', () => {
    const cache = lru(1000, 2);
    for (const key of ['a', 'b', 'c']) cache.set(key, Buffer.alloc(1));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps a value as large as the bound, not a larger one', () => {
    const cache = lru(10);
    cache.set('whole', Buffer.alloc(10));
    expect(cache.get('whole')).toHaveLength(10);
    cache.set('big', Buffer.alloc(11));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.byteSize).toBe(10);
  });

  it('replaces a value and counts only the new one', () => {
    const cache = lru(10);
    cache.set('a', Buffer.alloc(6));
    cache.set('a', Buffer.alloc(3));
    expect(cache.byteSize).toBe(3);
  });
});
