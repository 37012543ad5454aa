import { type PixelModule } from './pixel-module';
import { transcodeSupport } from './transcode-support';
import { TransferSyntax as T } from './transfer-syntax';

const pm = (extra: Partial<PixelModule> = {}): PixelModule => ({
  rows: 8,
  columns: 8,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  bitsAllocated: 16,
  bitsStored: 12,
  highBit: 11,
  pixelRepresentation: 1,
  numberOfFrames: 1,
  windows: [],
  voiLutFunction: 'LINEAR',
  voiLuts: [],
  ...extra,
});

describe('transcodeSupport', () => {
  it('offers every lossless target for lossless stored data', () => {
    for (const to of [
      T.ExplicitVRLittleEndian,
      T.RLELossless,
      T.JPEGLosslessSV1,
      T.JPEGLSLossless,
      T.JPEG2000Lossless,
      T.HTJ2KLosslessRPCL,
    ]) {
      expect(transcodeSupport(T.HTJ2KLossless, to, pm())).toBe('lossless');
    }
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.HTJ2K, pm())).toBe('lossy');
  });

  it('decompresses lossy data to native only, never into a lossless compressed syntax', () => {
    expect(transcodeSupport(T.JPEGBaseline8Bit, T.ExplicitVRLittleEndian)).toBe('lossless');
    expect(transcodeSupport(T.JPEGBaseline8Bit, T.JPEGLSLossless)).toBe('unsupported');
    expect(transcodeSupport(T.JPEGBaseline8Bit, T.JPEG2000)).toBe('lossy');
    // lossy once (Lossy Image Compression 01) even if stored losslessly now
    expect(transcodeSupport(T.RLELossless, T.HTJ2KLossless, pm({ lossyImageCompression: '01' }))).toBe('unsupported');
    expect(transcodeSupport(T.RLELossless, T.ImplicitVRLittleEndian, pm({ lossyImageCompression: '01' }))).toBe(
      'lossless',
    );
  });

  it('follows the limits of the encoders for the pixel data', () => {
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.JPEGBaseline8Bit, pm())).toBe('unsupported'); // 12-bit
    expect(
      transcodeSupport(
        T.ExplicitVRLittleEndian,
        T.JPEGBaseline8Bit,
        pm({ bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 0 }),
      ),
    ).toBe('lossy');
    const rgb16 = pm({
      samplesPerPixel: 3,
      photometricInterpretation: 'RGB',
      bitsStored: 16,
      highBit: 15,
      pixelRepresentation: 0,
    });
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.JPEG2000Lossless, rgb16)).toBe('unsupported');
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.RLELossless, rgb16)).toBe('lossless');
    const ybr = pm({
      samplesPerPixel: 3,
      photometricInterpretation: 'YBR_FULL',
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
    });
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.JPEG2000Lossless, ybr)).toBe('unsupported');
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.JPEGLSLossless, ybr)).toBe('lossless');
    const bits1 = pm({ bitsAllocated: 1, bitsStored: 1, highBit: 0, pixelRepresentation: 0 });
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.RLELossless, bits1)).toBe('unsupported');
    expect(transcodeSupport(T.ExplicitVRLittleEndian, T.ImplicitVRLittleEndian, bits1)).toBe('lossless');
  });

  it('answers unsupported for syntaxes we do not decode or encode', () => {
    expect(transcodeSupport('1.2.840.10008.1.2.4.100', T.ExplicitVRLittleEndian)).toBe('unsupported');
    expect(transcodeSupport(T.ExplicitVRLittleEndian, '1.2.840.10008.1.2.4.92')).toBe('unsupported');
  });
});
