import { Tag } from './dictionary';
import { Part10Error } from './part10-error';
import { peekPart10Identity } from './peek-part10-identity';
import { TransferSyntaxUid } from './transfer-syntax';
import { element, handBuilt, identity, part10, pattern, uids } from '../test/part10-fixtures';
import { chunked } from '../test/part10-test-io';

/** An iterator over chunks that counts how many were pulled. */
function source(chunks: Buffer[]): AsyncIterator<Buffer> & { pulled: number } {
  const it = {
    pulled: 0,
    next: async (): Promise<IteratorResult<Buffer>> => {
      const value = chunks[it.pulled];
      if (value === undefined) return { done: true, value: undefined };
      it.pulled++;
      return { done: false, value };
    },
  };
  return it;
}

const expected = {
  sopClassUid: uids.sopClass,
  sopInstanceUid: uids.sopInstance,
  studyInstanceUid: uids.study,
  seriesInstanceUid: uids.series,
};

describe('peekPart10Identity', () => {
  it.each([
    TransferSyntaxUid.ExplicitVRLittleEndian,
    TransferSyntaxUid.ImplicitVRLittleEndian,
    TransferSyntaxUid.ExplicitVRBigEndian,
    TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
  ])('reads only until the identity is known (%s), and returns the chunks it consumed', async (ts) => {
    const file = await part10({
      dataset: identity({ [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^J' }] } }),
      transferSyntaxUid: ts,
      pixelData: { vr: 'OB', value: pattern(64 * 1024) },
    });
    for (const size of [1, 7, 1000]) {
      const chunks = chunked(file, size);
      const src = source(chunks);
      const { identity: id, prefix } = await peekPart10Identity(src, { maxBytes: 64 * 1024 });
      expect(id).toEqual({ transferSyntaxUid: ts, ...expected });
      expect(prefix).toEqual(chunks.slice(0, src.pulled));
      expect(src.pulled).toBeLessThan(chunks.length);
    }
  });

  it('fails with MissingAttribute as soon as a later top-level tag shows one is absent', async () => {
    const ds = identity({ [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^J' }] } });
    delete ds[Tag.SeriesInstanceUID];
    const file = await part10({ dataset: ds, pixelData: { vr: 'OB', value: pattern(10000) } });
    const src = source(chunked(file, 100));
    await expect(peekPart10Identity(src, { maxBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'MissingAttribute',
      message: expect.stringContaining('(0020,000E)'),
    });
    expect(src.pulled).toBeLessThan(20);
  });

  it('fails with MissingAttribute at the end of a stream without the identity', async () => {
    const ds = identity();
    delete ds[Tag.SOPInstanceUID];
    await expect(
      peekPart10Identity(source([await part10({ dataset: ds })]), { maxBytes: 1 << 20 }),
    ).rejects.toMatchObject({ code: 'MissingAttribute' });
  });

  it('fails with HeaderTooLarge when the identity is not within maxBytes', async () => {
    const body = Buffer.concat([
      element('00080016', 'UI', `${uids.sopClass}\0`),
      element('00090010', 'LO', 'BIG '),
      element('00091000', 'OB', pattern(50000)),
    ]);
    const p = peekPart10Identity(source(chunked(handBuilt(body), 1000)), { maxBytes: 8192 });
    await expect(p).rejects.toBeInstanceOf(Part10Error);
    await expect(p).rejects.toMatchObject({ code: 'HeaderTooLarge' });
  });

  it('passes on the scanner’s errors: not DICOM, truncated', async () => {
    await expect(peekPart10Identity(source([Buffer.alloc(400)]), { maxBytes: 1000 })).rejects.toMatchObject({
      code: 'NotDicom',
    });
    const file = await part10({ dataset: identity() });
    await expect(
      peekPart10Identity(source([file.subarray(0, file.length - 5)]), { maxBytes: 1 << 20 }),
    ).rejects.toMatchObject({ code: 'Truncated' });
  });
});
