import { rgbToYbrFull, upsample422, ybrFullToRgb, ybrPartialToRgb } from './ybr';

describe('YBR conversions (PS3.3 C.7.6.3.1.2)', () => {
  it('computes YBR_FULL from RGB with the equations of the standard', () => {
    const px = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]);
    rgbToYbrFull(px);
    // red: Y = .299·255 = 76.2, CB = -.1687·255 + 128 = 85.0, CR = .5·255 + 128 = 255.5 → 255 (clamped)
    expect(Array.from(px.subarray(0, 3))).toEqual([76, 85, 255]);
    // green: Y = 149.7, CB = 43.5, CR = 21.2; blue: Y = 29.1, CB = 255.5, CR = 107.3; grey stays grey
    expect(Array.from(px.subarray(3, 6))).toEqual([150, 44, 21]);
    expect(Array.from(px.subarray(6, 9))).toEqual([29, 255, 107]);
    expect(Array.from(px.subarray(9))).toEqual([128, 128, 128]);
  });

  it('returns to the same RGB within one level after YBR_FULL and back', () => {
    const original = new Uint8Array(3 * 4096);
    for (let i = 0; i < original.length; i++) original[i] = (i * 97 + (i >> 3) * 31) & 255;
    const px = original.slice();
    rgbToYbrFull(px);
    ybrFullToRgb(px);
    let max = 0;
    for (let i = 0; i < px.length; i++) max = Math.max(max, Math.abs(px[i] - original[i]));
    expect(max).toBeLessThanOrEqual(2); // rounding of both directions, and clamping of saturated colours
  });

  it('maps partial-range black and white (Y 16 and 235, chroma 128) to 0 and 255', () => {
    const px = Uint8Array.from([16, 128, 128, 235, 128, 128]);
    ybrPartialToRgb(px);
    expect(Array.from(px)).toEqual([0, 0, 0, 255, 255, 255]);
  });

  it('upsamples Y1 Y2 CB CR pairs by giving both pixels the pair-s chroma', () => {
    const packed = Uint8Array.from([10, 20, 100, 200, 30, 40, 110, 210]);
    expect(Array.from(upsample422(packed, 1, 4))).toEqual([10, 100, 200, 20, 100, 200, 30, 110, 210, 40, 110, 210]);
  });
});
