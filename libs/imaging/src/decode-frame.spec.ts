import { decodeFrame } from './decode-frame';
import { encodeFrame } from './encode-frame';
import { type PixelModule } from './pixel-module';
import { TransferSyntax as T } from './transfer-syntax';

const pm = (extra: Partial<PixelModule> = {}): PixelModule => ({
  rows: 64,
  columns: 48,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  bitsAllocated: 16,
  bitsStored: 16,
  highBit: 15,
  pixelRepresentation: 1,
  numberOfFrames: 1,
  windows: [],
  voiLutFunction: 'LINEAR',
  voiLuts: [],
  ...extra,
});

const ct = (): Int16Array => {
  const pixels = new Int16Array(64 * 48);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(1500 * Math.sin(i / 97)) - 1024 + (i % 7);
  return pixels;
};
const native = (pixels: Int16Array) => new Uint8Array(pixels.buffer);

describe('decodeFrame', () => {
  it('reads big endian native words', async () => {
    const pixels = ct();
    const bytes = Buffer.from(native(pixels));
    bytes.swap16();
    const decoded = await decodeFrame(T.ExplicitVRBigEndian, bytes, pm());
    expect(decoded.pixels).toEqual(pixels);
  });

  it.each([T.HTJ2KLosslessRPCL, T.JPEG2000Lossless, T.JPEGLSLossless, T.JPEGLosslessSV1, T.RLELossless])(
    'round-trips signed 16-bit data through %s',
    async (ts) => {
      const source = await decodeFrame(T.ExplicitVRLittleEndian, native(ct()), pm());
      const encoded = await encodeFrame(ts, source, pm());
      expect((await decodeFrame(ts, encoded.bytes, pm())).pixels).toEqual(source.pixels);
    },
  );

  it('answers typed errors for truncated and corrupt frames', async () => {
    await expect(decodeFrame(T.ExplicitVRLittleEndian, new Uint8Array(10), pm())).rejects.toMatchObject({
      code: 'CorruptPixelData',
    });
    for (const ts of [
      T.HTJ2KLossless,
      T.JPEG2000,
      T.JPEGLSLossless,
      T.JPEGBaseline8Bit,
      T.JPEGLosslessSV1,
      T.RLELossless,
    ]) {
      const garbage = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
      await expect(decodeFrame(ts, garbage, pm())).rejects.toMatchObject({ name: 'ImagingError' });
    }
    await expect(decodeFrame('1.2.840.10008.1.2.4.100', new Uint8Array(10), pm())).rejects.toMatchObject({
      code: 'UnsupportedTransferSyntax',
    });
  });

  it('refuses a codestream whose size differs from the data set', async () => {
    const source = await decodeFrame(T.ExplicitVRLittleEndian, native(ct()), pm());
    const encoded = await encodeFrame(T.HTJ2KLossless, source, pm());
    await expect(decodeFrame(T.HTJ2KLossless, encoded.bytes, pm({ rows: 32 }))).rejects.toMatchObject({
      code: 'CorruptPixelData',
    });
  });

  it('still decodes after a codec met a corrupt stream', async () => {
    const source = await decodeFrame(T.ExplicitVRLittleEndian, native(ct()), pm());
    const encoded = await encodeFrame(T.HTJ2KLossless, source, pm());
    const truncated = encoded.bytes.subarray(0, 200);
    await decodeFrame(T.HTJ2KLossless, truncated, pm()).catch(() => undefined);
    expect((await decodeFrame(T.HTJ2KLossless, encoded.bytes, pm())).pixels).toEqual(source.pixels);
  });
});

describe('encodeFrame', () => {
  it('says what changes: JPEG 2000 colour becomes YBR_RCT, JPEG Baseline colour YBR_FULL_422 and lossy', async () => {
    const rgbModule = pm({
      samplesPerPixel: 3,
      photometricInterpretation: 'RGB',
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
    });
    const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 13) & 255);
    const source = await decodeFrame(T.ExplicitVRLittleEndian, rgb, rgbModule);
    expect((await encodeFrame(T.JPEG2000Lossless, source, rgbModule)).pixelModuleChanges).toEqual({
      photometricInterpretation: 'YBR_RCT',
    });
    const jpeg = await encodeFrame(T.JPEGBaseline8Bit, source, rgbModule);
    expect(jpeg.pixelModuleChanges).toMatchObject({
      photometricInterpretation: 'YBR_FULL_422',
      lossyImageCompression: '01',
      lossyImageCompressionMethod: ['ISO_10918_1'],
    });
    expect(jpeg.bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const back = await decodeFrame(T.JPEGBaseline8Bit, jpeg.bytes, { ...rgbModule, ...jpeg.pixelModuleChanges });
    expect(back).toMatchObject({ photometricInterpretation: 'RGB', lossy: true });
  });

  it('writes HTJ2K Lossless RPCL codestreams with RPCL progression, a TLM marker and several tile-parts', async () => {
    const source = await decodeFrame(T.ExplicitVRLittleEndian, native(ct()), pm());
    const { bytes } = await encodeFrame(T.HTJ2KLosslessRPCL, source, pm());
    const marker = (code: number, from = 0) => bytes.indexOf(Buffer.from([0xff, code]), from);
    const cod = marker(0x52);
    expect(bytes[cod + 4 + 1]).toBe(2); // SGcod progression order: 2 = RPCL (ISO 15444-1 Table A.16)
    expect(marker(0x55)).toBeGreaterThan(0); // TLM in the main header
    expect(marker(0x55)).toBeLessThan(marker(0x90)); // … before the first SOT
    let tileParts = 0;
    for (let at = marker(0x90); at >= 0; at = marker(0x90, at + 2))
      if (bytes[at + 2] === 0 && bytes[at + 3] === 10) tileParts++;
    expect(tileParts).toBeGreaterThan(1);
  });
});
