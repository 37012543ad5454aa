import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { SwapWords } from './swap-words';

describe('SwapWords', () => {
  it.each([2, 4, 8] as const)('swaps %d-byte words across chunk boundaries', async (size) => {
    const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 29), bytes.subarray(29)];
    const out = await buffer(Readable.from(chunks).pipe(new SwapWords(size)));
    const expected = Buffer.from(bytes);
    if (size === 2) expected.swap16();
    else if (size === 4) expected.swap32();
    else expected.swap64();
    expect(out.equals(expected)).toBe(true);
  });
});
