import { PassThrough, Readable } from 'node:stream';
import { releaseWith } from './release-with';

describe('releaseWith', () => {
  it('destroys a part opened ahead when the body closes before reading it', async () => {
    const opened = new PassThrough();
    const outer = Readable.from(['x']);
    releaseWith(outer, opened);
    outer.destroy();
    await new Promise((r) => setImmediate(r));
    expect(opened.destroyed).toBe(true);
  });

  it('leaves a part alone that was read to its end', async () => {
    const opened = Readable.from([Buffer.from('part')]);
    const outer = new PassThrough();
    releaseWith(outer, opened);
    for await (const _ of opened) {
      // read it all
    }
    outer.destroy();
    await new Promise((r) => setImmediate(r));
    expect(opened.readableEnded).toBe(true);
  });

  it('ignores bodies that are buffers', () => {
    expect(() => releaseWith(new PassThrough(), Buffer.from('x'))).not.toThrow();
  });
});
