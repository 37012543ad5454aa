import fc from 'fast-check';
import { defaultDelimiters, type Hl7Delimiters } from './delimiters';
import { escapeHl7, unescapeHl7 } from './escape';
import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';
import { parseHl7 } from './parse-hl7';

const d = defaultDelimiters;
const u = (s: string, options = {}): string => unescapeHl7(s, d, options);

describe('unescapeHl7', () => {
  it('turns the delimiter escapes of v2.5 §2.7.1 into the delimiters', () => {
    expect(u('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f')).toBe('a|b^c&d~e\\f');
  });

  it('uses the delimiters of the message, not the recommended ones', () => {
    const custom: Hl7Delimiters = {
      field: '$',
      component: ':',
      repetition: '*',
      escape: '/',
      subcomponent: '%',
      truncation: '',
    };
    expect(unescapeHl7('x/F/y/S/z/E/', custom)).toBe('x$y:z/');
  });

  it('decodes \\Xhh\\ as bytes of the message charset', () => {
    expect(u('line1\\X0D0A\\line2')).toBe('line1\r\nline2');
    expect(u('M\\XC39C\\LLER')).toBe('MÜLLER');
    expect(u('M\\XDC\\LLER', { charset: { name: '8859/1', decoder: 'latin1' } })).toBe('MÜLLER');
    expect(u('\\X\\')).toBe('');
  });

  it('rejects an odd number of hex digits with a 102 at the value location', () => {
    expect(() => u('\\X0\\', { location: 'OBX-5' })).toThrow(
      expect.objectContaining({ code: Hl7ErrorCode.DataTypeError, location: 'OBX-5' }),
    );
  });

  it('rejects \\Cxxyy\\ and \\Mxxyyzz\\ charset switches with a 102', () => {
    for (const value of ['\\C2842\\abc', 'x\\M2442\\y']) {
      expect(() => u(value, { location: 'PID-5-1' })).toThrow(Hl7ParseError);
      try {
        u(value);
      } catch (e) {
        expect((e as Hl7ParseError).code).toBe(Hl7ErrorCode.DataTypeError);
      }
    }
  });

  it('converts formatting escapes to plain text by default', () => {
    expect(u('first\\.br\\second')).toBe('first\nsecond');
    expect(u('a\\.sp 2\\b')).toBe('a\n\nb');
    expect(u('a\\.sp\\b')).toBe('a\nb');
    expect(u('\\H\\bold\\N\\ text')).toBe('bold text');
    expect(u('\\.in+4\\\\.ti-4\\1. item\\.ce\\centered\\.fi\\\\.nf\\\\.sk 3\\')).toBe('1. item\ncentered');
  });

  it('keeps formatting escapes verbatim in keep mode', () => {
    const ft = '\\H\\bold\\N\\\\.br\\\\.sp 2\\';
    expect(u(ft, { formatting: 'keep' })).toBe(ft);
  });

  it('keeps \\Z..\\, unknown sequences and a lone escape character verbatim', () => {
    expect(u('\\Zabc\\')).toBe('\\Zabc\\');
    expect(u('a\\Q\\b')).toBe('a\\Q\\b');
    expect(u('back\\slash')).toBe('back\\slash');
    expect(u('end\\')).toBe('end\\');
    expect(u('\\\\')).toBe('\\\\');
  });

  it('applies to values read from a message (escape inside a component)', () => {
    const msg = parseHl7('MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5\rOBX|1|FT|x||Rx\\T\\C\\.br\\Dose 5\\S\\10');
    expect(msg.get('OBX-5')).toBe('Rx&C\nDose 5^10');
    expect(msg.raw('OBX-5')).toBe('Rx\\T\\C\\.br\\Dose 5\\S\\10');
  });
});

describe('escapeHl7', () => {
  it('escapes the escape character first, then every delimiter', () => {
    expect(escapeHl7('a|b^c&d~e\\f', d)).toBe('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f');
  });

  it('escapes line breaks as hex, or as \\.br\\ for FT', () => {
    expect(escapeHl7('a\r\nb', d)).toBe('a\\X0D\\\\X0A\\b');
    expect(escapeHl7('a\r\nb\nc', d, { lineBreaks: 'br' })).toBe('a\\.br\\b\\.br\\c');
  });

  it('escapes the v2.7 truncation character when the message has one', () => {
    expect(escapeHl7('a#b', { ...d, truncation: '#' })).toBe('a\\P\\b');
    expect(escapeHl7('a#b', d)).toBe('a#b');
  });

  it('round-trips any text through escape and unescape', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(unescapeHl7(escapeHl7(text, d), d)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
