import { ByteLru } from './byte-lru';

describe('ByteLru', () => {
  const lru = (maxBytes: number, maxEntries?: number) => new ByteLru<Buffer>(maxBytes, (b) => b.length, maxEntries);

  it('evicts the least recently used entries once the bytes exceed the bound', () => {
    const cache = lru(10);
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    cache.get('a');
    cache.set('c', Buffer.alloc(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toHaveLength(4);
    expect(cache.get('c')).toHaveLength(4);
    expect(cache.bytes).toBe(8);
  });

  it('bounds the number of entries', () => {
    const cache = lru(1000, 2);
    for (const key of ['a', 'b', 'c']) cache.set(key, Buffer.alloc(1));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not keep a value larger than the bound', () => {
    const cache = lru(10);
    cache.set('big', Buffer.alloc(11));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('replaces a value and counts only the new one', () => {
    const cache = lru(10);
    cache.set('a', Buffer.alloc(6));
    cache.set('a', Buffer.alloc(3));
    expect(cache.bytes).toBe(3);
  });

  it('deletes by key prefix', () => {
    const cache = lru(100);
    cache.set('1/2/x', Buffer.alloc(1));
    cache.set('1/2/y', Buffer.alloc(1));
    cache.set('1/3/x', Buffer.alloc(1));
    cache.deletePrefix('1/2/');
    expect(cache.size).toBe(1);
    expect(cache.get('1/3/x')).toBeDefined();
  });
});
