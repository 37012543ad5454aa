import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chooseContentCoding, encodeBody } from './content-coding';

describe('content codings (RFC 9110 §12.5.3)', () => {
  it.each([
    [undefined, 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0.5, gzip', 'gzip'],
    ['*', 'br'],
    ['gzip;q=0, br;q=0', 'identity'],
    ['identity', 'identity'],
  ])('chooses for %s: %s', (header, expected) => {
    expect(chooseContentCoding(header)).toBe(expected);
  });

  it('encodes bodies that decode back to the same bytes', async () => {
    const body = Buffer.from(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ '00080018': i }))));
    expect(gunzipSync(await encodeBody(body, 'gzip')).equals(body)).toBe(true);
    expect(brotliDecompressSync(await encodeBody(body, 'br')).equals(body)).toBe(true);
    expect(await encodeBody(body, 'identity')).toBe(body);
  });
});
