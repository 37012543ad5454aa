import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { ChunkReader } from './chunk-reader';

describe('ChunkReader', () => {
  it('hands out the very chunks that were pushed, without concatenating them', async () => {
    const a = Buffer.from('first');
    const b = Buffer.from('second');
    const stream = new Readable({ read() {} });
    stream.push(a);
    stream.push(b);
    stream.push(null);
    const reader = new ChunkReader(stream);
    expect(await reader.next()).toBe(a);
    expect(await reader.next()).toBe(b);
    expect(await reader.next()).toBeNull();
  });

  it('reads nothing ahead of what is asked for beyond the stream’s own buffer', async () => {
    let produced = 0;
    const stream = new Readable({
      highWaterMark: 1,
      read() {
        produced += 1;
        this.push(Buffer.alloc(1000));
      },
    });
    const reader = new ChunkReader(stream);
    await reader.next();
    for (let i = 0; i < 10; i++) await tick();
    expect(produced).toBeLessThanOrEqual(3);
    reader.release();
    stream.destroy();
  });

  it('rejects with the stream’s error', async () => {
    const stream = new Readable({ read() {} });
    const reader = new ChunkReader(stream);
    const next = reader.next();
    stream.destroy(new Error('broken'));
    await expect(next).rejects.toThrow('broken');
  });

  it('rejects when the stream closes before its end', async () => {
    const stream = new Readable({ read() {} });
    const reader = new ChunkReader(stream);
    const next = reader.next();
    stream.destroy();
    await expect(next).rejects.toThrow(/closed before its end/);
  });

  it('turns strings and Uint8Arrays into Buffers', async () => {
    const reader = new ChunkReader(Readable.from(['ab', new Uint8Array([0x63])], { objectMode: true }));
    expect((await reader.next())!.toString()).toBe('ab');
    expect((await reader.next())!.toString()).toBe('c');
  });

  it('after release, detaches and leaves the stream paused', async () => {
    const stream = new Readable({ read() {} });
    stream.push(Buffer.from('x'));
    const reader = new ChunkReader(stream);
    await reader.next();
    reader.release();
    expect(stream.listenerCount('data')).toBe(0);
    expect(stream.isPaused()).toBe(true);
    expect(await reader.next()).toBeNull();
  });
});
