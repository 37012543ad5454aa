import { multipartRelated } from '@pacs/dicomweb';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { multipartLength } from './multipart-length';

describe('multipartLength', () => {
  it.each([0, 1, 3])('equals the length multipartRelated writes for %d parts', async (count) => {
    const parts = Array.from({ length: count }, (_, i) => ({
      headers: { 'Content-Type': 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1', 'Content-Length': '17' },
      body: i % 2 === 0 ? Buffer.alloc(17 + i, 1) : Readable.from([Buffer.alloc(10 + i), Buffer.alloc(7)]),
    }));
    const { stream } = multipartRelated(parts, { type: 'application/dicom', boundary: 'wado-abc' });
    const written = await buffer(stream);
    const lengths = parts.map((p, i) => ({ headers: p.headers, length: i % 2 === 0 ? 17 + i : 17 + i }));
    expect(multipartLength('wado-abc', lengths)).toBe(written.length);
  });
});
