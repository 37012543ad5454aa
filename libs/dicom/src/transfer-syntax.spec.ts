import { uidRows } from './generated/uids';
import { frameMediaTypeOf, transferSyntaxes, transferSyntaxOf, TransferSyntaxUid } from './transfer-syntax';

describe('transfer syntaxes', () => {
  it('knows every transfer syntax of PS3.6 Annex A', () => {
    const fromRegistry = uidRows.filter((r) => r[3] === 'Transfer Syntax').map((r) => r[0]);
    expect(
      transferSyntaxes()
        .map((t) => t.uid)
        .sort(),
    ).toEqual([...fromRegistry].sort());
    expect(Object.values(TransferSyntaxUid).sort()).toEqual([...fromRegistry].sort());
  });

  it('describes the encodings of PS3.5 §10 and Annex A', () => {
    expect(transferSyntaxOf(TransferSyntaxUid.ImplicitVRLittleEndian)).toMatchObject({
      explicitVr: false,
      littleEndian: true,
      encapsulated: false,
      deflated: false,
    });
    expect(transferSyntaxOf(TransferSyntaxUid.ExplicitVRBigEndian)).toMatchObject({
      explicitVr: true,
      littleEndian: false,
      retired: true,
    });
    expect(transferSyntaxOf(TransferSyntaxUid.DeflatedExplicitVRLittleEndian)).toMatchObject({
      deflated: true,
      encapsulated: false,
    });
    expect(transferSyntaxOf(TransferSyntaxUid.JPEGBaseline8Bit)).toMatchObject({
      encapsulated: true,
      lossy: true,
      name: 'JPEG Baseline (Process 1)',
    });
    expect(transferSyntaxOf(TransferSyntaxUid.JPEGLosslessSV1)).toMatchObject({ encapsulated: true, lossy: false });
    expect(transferSyntaxOf(TransferSyntaxUid.JPIPReferencedDeflate)).toMatchObject({
      encapsulated: false,
      deflated: true,
    });
    expect(transferSyntaxOf('1.2.3')).toBeUndefined();
  });

  it.each([
    [TransferSyntaxUid.ExplicitVRLittleEndian, 'application/octet-stream'],
    [TransferSyntaxUid.ImplicitVRLittleEndian, 'application/octet-stream'],
    [TransferSyntaxUid.JPEGBaseline8Bit, 'image/jpeg'],
    [TransferSyntaxUid.JPEGLosslessSV1, 'image/jpeg'],
    [TransferSyntaxUid.JPEGLSLossless, 'image/jls'],
    [TransferSyntaxUid.JPEG2000, 'image/jp2'],
    [TransferSyntaxUid.JPEG2000MCLossless, 'image/jpx'],
    [TransferSyntaxUid.HTJ2KLossless, 'image/jphc'],
    [TransferSyntaxUid.RLELossless, 'image/dicom-rle'],
    [TransferSyntaxUid.MPEG2MPML, 'video/mpeg2'],
    [TransferSyntaxUid.MPEG4HP41F, 'video/mp4'],
    [TransferSyntaxUid.HEVCMP51, 'video/H265'],
    [TransferSyntaxUid.JPIPReferenced, undefined],
    ['1.2.3', undefined],
  ])('gives %s frames the media type of PS3.18 Table 8.7.3-5: %s', (uid, type) => {
    expect(frameMediaTypeOf(uid)).toBe(type);
  });

  it('gives a media type to every encapsulated transfer syntax', () => {
    for (const ts of transferSyntaxes().filter((t) => t.encapsulated))
      expect([ts.keyword, frameMediaTypeOf(ts.uid)]).toEqual([ts.keyword, expect.any(String)]);
  });
});
