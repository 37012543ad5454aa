import { TransferSyntaxUid } from '@pacs/dicom';
import { negotiateFrames, negotiateInstances } from '@pacs/dicomweb';
import { pixelModuleOf, type PixelModule } from '@pacs/imaging';
import type { StoredPixelIndex } from './instance-catalog';
import { pixelRewriteOf, planFrames, planInstance, prefersOriginal } from './plan-representation';

const T = TransferSyntaxUid;
const us = (v: number) => ({ vr: 'US', Value: [v] });
const grey16: PixelModule = pixelModuleOf({
  '00280010': us(64),
  '00280011': us(64),
  '00280002': us(1),
  '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
  '00280100': us(16),
  '00280101': us(16),
  '00280102': us(15),
  '00280103': us(1),
});
const pixel = (encapsulated: boolean, frames = 1): StoredPixelIndex => ({
  tag: '7FE00010',
  vr: encapsulated ? 'OB' : 'OW',
  offset: 1000,
  ...(encapsulated ? {} : { length: 8192 * frames }),
  encapsulated,
  basicOffsetTable: [],
  fragments: [],
  frames: Array.from({ length: frames }, (_, k) => ({ ranges: [{ offset: 1000 + k * 8192, length: 8192 }] })),
});
const frames = (accept: string, single = true) => negotiateFrames(accept, { singlePart: single }).acceptable;
const instances = (accept: string | undefined) => negotiateInstances(accept, { resource: 'instance' }).acceptable;

describe('planFrames (PS3.18 §8.7.3, §10.4.1.1.4)', () => {
  const jls = { transferSyntaxUid: T.JPEGLSLossless, pixel: pixel(true), pixelModule: grey16 };

  it('sends compressed frames as stored for transfer-syntax=*, labelled with their own media type', () => {
    expect(planFrames(jls, frames('multipart/related; type="application/octet-stream"; transfer-syntax=*'))).toEqual({
      kind: 'stored',
      multipart: true,
      partType: 'image/jls',
      transferSyntaxUid: T.JPEGLSLossless,
    });
  });

  it('decompresses when the default (Explicit VR Little Endian) is asked', () => {
    expect(planFrames(jls, frames('multipart/related; type="application/octet-stream"'))).toMatchObject({
      kind: 'transcode',
      partType: 'application/octet-stream',
      transferSyntaxUid: T.ExplicitVRLittleEndian,
    });
  });

  it('sends native Little Endian frames as Explicit VR Little Endian frames without transcoding', () => {
    for (const stored of [T.ImplicitVRLittleEndian, T.DeflatedExplicitVRLittleEndian, T.ExplicitVRLittleEndian]) {
      const plan = planFrames(
        { transferSyntaxUid: stored, pixel: pixel(false), pixelModule: grey16 },
        frames('application/octet-stream'),
      );
      expect(plan).toEqual({
        kind: 'stored',
        multipart: false,
        partType: 'application/octet-stream',
        transferSyntaxUid: T.ExplicitVRLittleEndian,
      });
    }
  });

  it('never transcodes for transfer-syntax=*, even when the media type differs (406)', () => {
    expect(planFrames(jls, frames('multipart/related; type="image/jp2"; transfer-syntax=*'))).toBeUndefined();
  });

  it('refuses lossy data in a lossless compressed syntax (406)', () => {
    const jpeg = {
      transferSyntaxUid: T.JPEGBaseline8Bit,
      pixel: pixel(true),
      pixelModule: { ...grey16, bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 0 as const },
    };
    expect(planFrames(jpeg, frames('multipart/related; type="image/jls"'))).toBeUndefined();
    expect(planFrames(jpeg, frames('multipart/related; type="application/octet-stream"'))).toMatchObject({
      kind: 'transcode',
    });
  });

  it('re-packs 1-bit frames that do not start on a byte', () => {
    const bits = { transferSyntaxUid: T.ExplicitVRLittleEndian, pixel: pixel(false), pixelModule: grey16 };
    expect(planFrames(bits, frames('application/octet-stream'), false)).toMatchObject({ kind: 'transcode' });
  });

  it('takes the client’s order of preference', () => {
    const plan = planFrames(
      jls,
      frames('multipart/related; type="image/jphc", multipart/related; type="image/jls";q=0.5'),
    );
    expect(plan).toMatchObject({ kind: 'transcode', transferSyntaxUid: T.HTJ2KLossless });
  });
});

describe('planInstance (PS3.18 §8.7.3.5)', () => {
  it('sends the original for transfer-syntax=* and for the stored syntax', () => {
    const stored = { transferSyntaxUid: T.JPEGLSLossless, pixel: pixel(true), pixelModule: grey16 };
    expect(
      planInstance(stored, instances('multipart/related; type="application/dicom"; transfer-syntax=*')),
    ).toMatchObject({ kind: 'original' });
    expect(prefersOriginal(T.JPEGLSLossless, instances(`application/dicom; transfer-syntax=${T.JPEGLSLossless}`))).toBe(
      true,
    );
  });

  it('converts to Explicit VR Little Endian when no transfer syntax is asked', () => {
    const implicit = { transferSyntaxUid: T.ImplicitVRLittleEndian, pixel: pixel(false), pixelModule: grey16 };
    expect(planInstance(implicit, instances(undefined))).toEqual({
      kind: 'transcode',
      multipart: true,
      transferSyntaxUid: T.ExplicitVRLittleEndian,
      pixels: 'passthrough',
    });
    const jls = {
      transferSyntaxUid: T.JPEGLSLossless,
      pixel: pixel(true, 2),
      pixelModule: { ...grey16, numberOfFrames: 2 },
    };
    expect(planInstance(jls, instances('multipart/related; type="application/dicom"'))).toMatchObject({
      pixels: 'frames',
    });
  });

  it('re-encodes an instance without pixel data in any syntax', () => {
    expect(pixelRewriteOf({ transferSyntaxUid: T.ImplicitVRLittleEndian }, T.ExplicitVRLittleEndian)).toBe('none');
  });

  it('cannot transcode frames it cannot tell apart or a frame count that does not match', () => {
    const video = { transferSyntaxUid: T.JPEGLSLossless, pixel: { ...pixel(true), frames: [] }, pixelModule: grey16 };
    expect(pixelRewriteOf(video, T.ExplicitVRLittleEndian)).toBeUndefined();
    expect(
      pixelRewriteOf({ transferSyntaxUid: T.JPEGLSLossless, pixel: pixel(true) }, T.ExplicitVRLittleEndian),
    ).toBeUndefined();
  });
});
