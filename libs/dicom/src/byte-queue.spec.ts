import { ByteQueue } from './byte-queue';

describe('ByteQueue', () => {
  it('peeks and takes across chunk boundaries without losing bytes', () => {
    const q = new ByteQueue();
    for (const c of [Buffer.from('ab'), Buffer.from('c'), Buffer.alloc(0), Buffer.from('defg')]) q.push(c);
    expect(q.length).toBe(7);
    expect(q.peek(4).toString()).toBe('abcd');
    expect(q.take(3).toString()).toBe('abc');
    expect(q.skip(2)).toBe(2);
    expect(q.take(2).toString()).toBe('fg');
    expect(q.length).toBe(0);
    expect(q.take(0)).toHaveLength(0);
  });

  it('skips no more than it holds and drains the rest', () => {
    const q = new ByteQueue();
    q.push(Buffer.from('hello'));
    q.push(Buffer.from('world'));
    q.skip(3);
    expect(Buffer.concat(q.drain()).toString()).toBe('loworld');
    expect(q.skip(10)).toBe(0);
  });

  it('stays correct over many small chunks', () => {
    const q = new ByteQueue();
    const all = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    for (let i = 0; i < all.length; i++) q.push(all.subarray(i, i + 1));
    const out: Buffer[] = [];
    while (q.length) out.push(q.take(Math.min(q.length, 13)));
    expect(Buffer.concat(out)).toEqual(all);
  });
});
