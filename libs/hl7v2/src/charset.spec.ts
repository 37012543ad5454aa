import { decodeHl7Bytes, encodeHl7Text, resolveHl7Charset } from './charset';
import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';

const header = (msh18: string): string => `MSH|^~\\&|A|B|C|D|2024||ADT^A08|1|P|2.5||||||${msh18}\rPID|||1||`;

describe('decodeHl7Bytes', () => {
  it('decodes ISO 8859-1 when MSH-18 says 8859/1', () => {
    const bytes = Buffer.from(header('8859/1') + 'MÜLLER', 'latin1');
    expect(bytes.includes(0xdc)).toBe(true);
    expect(decodeHl7Bytes(bytes).text.endsWith('MÜLLER')).toBe(true);
  });

  it('decodes UTF-8 when MSH-18 says UNICODE UTF-8', () => {
    const { text, charset } = decodeHl7Bytes(Buffer.from(header('UNICODE UTF-8') + '山田^太郎', 'utf8'));
    expect(text.endsWith('山田^太郎')).toBe(true);
    expect(charset.decoder).toBe('utf-8');
  });

  it('reads MSH-18 before its second repetition and first component', () => {
    const { text } = decodeHl7Bytes(Buffer.from(header('8859/1~ISO IR87') + 'É', 'latin1'));
    expect(text.endsWith('É')).toBe(true);
  });

  it('decodes the legacy charsets of table 0211 through TextDecoder', () => {
    const gb = Buffer.concat([Buffer.from(header('GB 18030-2000')), Buffer.from([0xc9, 0xbd, 0xcc, 0xef])]);
    expect(decodeHl7Bytes(gb).text.endsWith('山田')).toBe(true);
    const greek = Buffer.concat([Buffer.from(header('8859/7')), Buffer.from([0xc1])]);
    expect(decodeHl7Bytes(greek).text.endsWith('Α')).toBe(true);
  });

  it('falls back from UTF-8 to ISO 8859-1 when MSH-18 is empty', () => {
    expect(decodeHl7Bytes(Buffer.from(header('') + 'Ü', 'utf8')).text.endsWith('Ü')).toBe(true);
    expect(decodeHl7Bytes(Buffer.from(header('') + 'Ü', 'latin1')).text.endsWith('Ü')).toBe(true);
  });

  it('rejects bytes that are not valid in the declared charset with a 102 at MSH-18', () => {
    const bad = Buffer.concat([Buffer.from(header('UNICODE UTF-8')), Buffer.from([0xff, 0xfe])]);
    expect(() => decodeHl7Bytes(bad)).toThrow(
      expect.objectContaining({ code: Hl7ErrorCode.DataTypeError, location: 'MSH-18' }),
    );
  });

  it('rejects a charset outside table 0211, or UTF-16, with a 103', () => {
    for (const name of ['KLINGON', 'UNICODE UTF-16']) {
      expect(() => decodeHl7Bytes(Buffer.from(header(name)))).toThrow(Hl7ParseError);
      expect(() => resolveHl7Charset(name)).toThrow(expect.objectContaining({ code: Hl7ErrorCode.TableValueNotFound }));
    }
  });
});

describe('encodeHl7Text', () => {
  it('encodes in the charset MSH-18 names', () => {
    expect(encodeHl7Text('Ü', 'UNICODE UTF-8')).toEqual(Buffer.from([0xc3, 0x9c]));
    expect(encodeHl7Text('Ü', '8859/1')).toEqual(Buffer.from([0xdc]));
    expect(encodeHl7Text('Ü', '')).toEqual(Buffer.from([0xc3, 0x9c]));
    expect(encodeHl7Text('aΩ', '8859/1').toString('latin1')).toBe('a?');
    expect(encodeHl7Text('a山', 'GB 18030-2000').toString('latin1')).toBe('a?');
  });
});
