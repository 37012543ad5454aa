import { decodeElementValue, encodeElementValue, formatDecimalString } from './element-value';
import { Part10Error } from './part10-error';

const le = { littleEndian: true };
const text = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('decodeElementValue', () => {
  it('splits multi-valued text, trims its padding and makes empty values null (PS3.18 §F.2.5)', () => {
    expect(decodeElementValue('CS', text(' ORIGINAL \\\\AXIAL '), le)).toEqual({
      vr: 'CS',
      Value: ['ORIGINAL', null, 'AXIAL'],
    });
    expect(decodeElementValue('UI', text('1.2.3\0'), le)).toEqual({ vr: 'UI', Value: ['1.2.3'] });
    expect(decodeElementValue('LO', text('  '), le)).toEqual({ vr: 'LO' });
    expect(decodeElementValue('SH', Buffer.alloc(0), le)).toEqual({ vr: 'SH' });
  });

  it('keeps leading spaces and backslashes of LT, ST and UT, which have one value', () => {
    expect(decodeElementValue('LT', text('  a\\b  '), le)).toEqual({ vr: 'LT', Value: ['  a\\b'] });
    expect(decodeElementValue('UT', text(' x '), le)).toEqual({ vr: 'UT', Value: [' x'] });
  });

  it('gives PN values their non-empty component groups (PS3.18 §F.2.2)', () => {
    expect(decodeElementValue('PN', text('Yamada^Tarou==Yamada^Tarou \\\\Doe'), le)).toEqual({
      vr: 'PN',
      Value: [{ Alphabetic: 'Yamada^Tarou', Phonetic: 'Yamada^Tarou' }, null, { Alphabetic: 'Doe' }],
    });
    expect(decodeElementValue('PN', text('=Ideo'), le)).toEqual({ vr: 'PN', Value: [{ Ideographic: 'Ideo' }] });
  });

  it('makes IS and DS JSON numbers, and keeps invalid ones as the strings they were', () => {
    expect(decodeElementValue('IS', text(' 12\\-3 '), le)).toEqual({ vr: 'IS', Value: [12, -3] });
    expect(decodeElementValue('DS', text('1.5\\-2e-3\\.5 '), le)).toEqual({ vr: 'DS', Value: [1.5, -0.002, 0.5] });
    expect(decodeElementValue('DS', text('1,5\\NaN '), le)).toEqual({ vr: 'DS', Value: ['1,5', 'NaN'] });
    expect(decodeElementValue('IS', text('1.0 '), le)).toEqual({ vr: 'IS', Value: ['1.0'] });
  });

  it('reads binary numbers in either byte order', () => {
    const us = Buffer.of(1, 0, 0xff, 0xff);
    expect(decodeElementValue('US', us, le)).toEqual({ vr: 'US', Value: [1, 65535] });
    expect(decodeElementValue('SS', us, le)).toEqual({ vr: 'SS', Value: [1, -1] });
    expect(decodeElementValue('US', us, { littleEndian: false })).toEqual({ vr: 'US', Value: [256, 65535] });
    const fl = Buffer.alloc(4);
    fl.writeFloatLE(0.1);
    expect(decodeElementValue('FL', fl, le)).toEqual({ vr: 'FL', Value: [Math.fround(0.1)] });
    expect(decodeElementValue('AT', Buffer.of(0x10, 0, 0x20, 0, 0xe0, 0x7f, 0x10, 0), le)).toEqual({
      vr: 'AT',
      Value: ['00100020', '7FE00010'],
    });
  });

  it('gives SV and UV beyond 2^53 as strings (PS3.18 Table F.2.3-1)', () => {
    const b = Buffer.alloc(24);
    b.writeBigInt64LE(-5n, 0);
    b.writeBigInt64LE(2n ** 60n, 8);
    b.writeBigInt64LE(-(2n ** 62n), 16);
    expect(decodeElementValue('SV', b, le)).toEqual({
      vr: 'SV',
      Value: [-5, '1152921504606846976', '-4611686018427387904'],
    });
    const u = Buffer.alloc(8);
    u.writeBigUInt64LE(2n ** 64n - 1n);
    expect(decodeElementValue('UV', u, le)).toEqual({ vr: 'UV', Value: ['18446744073709551615'] });
  });

  it('gives binary VRs as Little Endian InlineBinary, swapping words of Big Endian files', () => {
    expect(decodeElementValue('OW', Buffer.of(1, 2, 3, 4), { littleEndian: false })).toEqual({
      vr: 'OW',
      InlineBinary: Buffer.of(2, 1, 4, 3).toString('base64'),
    });
    expect(decodeElementValue('OB', Buffer.of(1, 2), { littleEndian: false })).toEqual({
      vr: 'OB',
      InlineBinary: 'AQI=',
    });
  });

  it('decodes text of SH, LO, ST, LT, UC, UT and PN in the Specific Character Set, other VRs not', () => {
    const ctx = { littleEndian: true, specificCharacterSet: ['ISO_IR 192'] };
    expect(decodeElementValue('LO', Buffer.from('Ä', 'utf8'), ctx)).toEqual({ vr: 'LO', Value: ['Ä'] });
    expect(decodeElementValue('CS', Buffer.from('Ä', 'utf8'), ctx)).toEqual({ vr: 'CS', Value: ['Ã\u0084'] });
  });
});

describe('encodeElementValue', () => {
  it.each([
    ['CS', ['A', null, 'B'], 'A\\\\B'],
    ['CS', ['AB', null, 'B'], 'AB\\\\B '],
    ['IS', [12, '-3'], '12\\-3 '],
    ['DS', [0.1 + 0.2, 1e-7, 10], '0.3\\1e-7\\10 '],
    ['UI', ['1.2.3'], '1.2.3\0'],
  ])('encodes %s %j as %j', (vr, Value, expected) => {
    expect(encodeElementValue({ vr, Value }, le).toString('latin1')).toBe(expected);
  });

  it('encodes PN objects with their groups, without trailing empty groups', () => {
    const b = encodeElementValue(
      { vr: 'PN', Value: [{ Alphabetic: 'A^B', Phonetic: 'a^b' }, { Alphabetic: 'C' }] },
      le,
    );
    expect(b.toString()).toBe('A^B==a^b\\C');
  });

  it('encodes numbers, SV and UV from numbers or strings, AT from hex', () => {
    expect(encodeElementValue({ vr: 'US', Value: [1, 65535] }, le)).toEqual(Buffer.of(1, 0, 0xff, 0xff));
    expect(encodeElementValue({ vr: 'US', Value: [1] }, { littleEndian: false })).toEqual(Buffer.of(0, 1));
    expect(encodeElementValue({ vr: 'UV', Value: ['18446744073709551615'] }, le)).toEqual(Buffer.alloc(8, 0xff));
    expect(encodeElementValue({ vr: 'AT', Value: ['7FE00010'] }, le)).toEqual(Buffer.of(0xe0, 0x7f, 0x10, 0));
  });

  it('rejects values its VR cannot hold', () => {
    expect(() => encodeElementValue({ vr: 'US', Value: ['x'] }, le)).toThrow(Part10Error);
    expect(() => encodeElementValue({ vr: 'AT', Value: ['0010'] }, le)).toThrow(Part10Error);
    expect(() => encodeElementValue({ vr: 'IS', Value: [1.5] }, le)).toThrow(Part10Error);
    expect(() => encodeElementValue({ vr: 'US', Value: [65536] }, le)).toThrow(Part10Error);
    expect(() => encodeElementValue({ vr: 'SS', Value: [-32769] }, le)).toThrow(Part10Error);
    expect(() => encodeElementValue({ vr: 'XX', Value: [] }, le)).toThrow(Part10Error);
  });
});

describe('formatDecimalString', () => {
  it.each([
    [0.5, '0.5'],
    [-1234.5678, '-1234.5678'],
    [0.1 + 0.2, '0.3'],
    [1 / 3, '0.33333333333333'],
    [123456789012345680000, '1.23456789012e20'],
    [1e-20, '1e-20'],
  ])('writes %d in at most 16 characters as %s', (n, s) => {
    expect(formatDecimalString(n)).toBe(s);
    expect(s.length).toBeLessThanOrEqual(16);
  });
  it('refuses NaN and infinities', () => expect(() => formatDecimalString(NaN)).toThrow(Part10Error));
});
