import { CharsetError, decodeText, encodeText } from './charset';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('decodeText', () => {
  // The examples of PS3.5 Annexes H, I, J and K (as copied in pydicom's charset test files), PN values.
  it.each([
    [
      'H.3.1 Japanese, ISO 2022 IR 87 (JIS X 0208 in G0)',
      ['', 'ISO 2022 IR 87'],
      '59616d6164615e5461726f753d 1b2442 3b33 4544 1b2842 5e 1b2442 4240 4f3a 1b2842 3d 1b2442 2464 245e 2440 1b2842 5e 1b2442 243f 246d 2426 1b2842',
      'Yamada^Tarou=山田^太郎=やまだ^たろう',
    ],
    [
      'H.3.2 Japanese, ISO 2022 IR 13 (half-width katakana in G1) and IR 87',
      ['ISO 2022 IR 13', 'ISO 2022 IR 87'],
      'd4cfc0de5ec0dbb33d 1b2442 3b334544 1b284a 5e 1b2442 42404f3a 1b284a 3d 1b2442 2464245e2440 1b284a 5e 1b2442 243f246d2426 1b284a',
      'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
    ],
    [
      'I.2 Korean, ISO 2022 IR 149 (KS X 1001 in G1)',
      ['', 'ISO 2022 IR 149'],
      '486f6e675e47696c646f6e673d 1b242943 fbf3 5e 1b242943 d1ced4d7 3d 1b242943 c8ab 5e 1b242943 b1e6b5bf',
      'Hong^Gildong=洪^吉洞=홍^길동',
    ],
    [
      'J.2 Chinese, ISO_IR 192 (UTF-8)',
      ['ISO_IR 192'],
      '57616e675e5869616f446f6e673de78e8b5ee5b08fe69db13d',
      'Wang^XiaoDong=王^小東=',
    ],
    ['J.3 Chinese, GB18030', ['GB18030'], '57616e675e5869616f446f6e673dcdf55ed0a1b6ab3d', 'Wang^XiaoDong=王^小东='],
    [
      'K.2 Chinese, ISO 2022 IR 58 (GB 2312 in G1)',
      ['', 'ISO 2022 IR 58'],
      '5a68616e675e5869616f446f6e673d 1b242941 d5c5 5e 1b242941 d0a1b6ab 3d',
      'Zhang^XiaoDong=张^小东=',
    ],
  ])('decodes the example of PS3.5 %s', (_name, charset, bytes, text) => {
    expect(decodeText(hex(bytes), charset, 'PN')).toBe(text);
  });

  it.each([
    ['ISO_IR 100', 'c46e6561735e52fc6469676572', 'Äneas^Rüdiger'],
    ['ISO_IR 101', 'a3f364bc', 'Łódź'],
    ['ISO_IR 109', 'c5e6', 'Ċĉ'],
    ['ISO_IR 110', 'a1a2', 'Ąĸ'],
    ['ISO_IR 144', 'bbeeda6365dcd17970d3', 'Люкceмбypг'],
    ['ISO_IR 127', 'e2c8c7e6ea5ee4e6d2c7d1', 'قباني^لنزار'],
    ['ISO_IR 126', 'c4e9efedf5f3e9eff2', 'Διονυσιος'],
    ['ISO_IR 138', 'f9f8e5ef5ee3e1e5f8e4', 'שרון^דבורה'],
    ['ISO_IR 148', 'd0ddfe', 'Ğİş'],
    ['ISO_IR 203', 'a4bcbd', '€Œœ'],
    ['ISO_IR 166', 'a1b5', 'กต'],
    ['ISO_IR 13', 'd4cfc0de', 'ﾔﾏﾀﾞ'],
    ['GBK', 'cdf5', '王'],
  ])('decodes %s with its ISO 8859 part or code page', (charset, bytes, text) => {
    expect(decodeText(hex(bytes), charset)).toBe(text);
  });

  it('keeps C1 bytes as C1 controls where WHATWG maps the label to a Windows code page', () => {
    expect(decodeText(Buffer.from([0x80, 0x9f]), 'ISO_IR 148')).toBe('\u0080\u009f');
  });

  it('reads the default repertoire, and bytes outside ASCII, as ISO 8859-1', () => {
    expect(decodeText(Buffer.from('ABC^d', 'latin1'), undefined)).toBe('ABC^d');
    expect(decodeText(Buffer.from([0xe9]), [])).toBe('é');
    expect(decodeText(Buffer.from([0xe9]), 'NOT A TERM')).toBe('é');
  });

  it('returns to the initial sets at "^" and "=" in PN and at "\\" between values (PS3.5 §6.1.2.5.3)', () => {
    // Cyrillic designated in G1, then a component delimiter without switching back: the next component is
    // read with the initial G1 set (ISO 8859-1 from value 1), as the standard requires writers to do.
    const bytes = Buffer.concat([hex('1b2d4c'), hex('bbee'), Buffer.from('^'), hex('e9')]);
    expect(decodeText(bytes, ['ISO 2022 IR 100', 'ISO 2022 IR 144'], 'PN')).toBe('Лю^é');
    expect(decodeText(bytes, ['ISO 2022 IR 100', 'ISO 2022 IR 144'], 'LO')).toBe('Лю^щ'); // no reset at ^ outside PN
    const values = Buffer.concat([hex('1b2d4c'), hex('bbee'), Buffer.from('\\'), hex('e9')]);
    expect(decodeText(values, ['ISO 2022 IR 100', 'ISO 2022 IR 144'], 'LO')).toBe('Лю\\é');
    expect(decodeText(values, ['ISO 2022 IR 100', 'ISO 2022 IR 144'], 'LT')).toBe('Лю\\щ'); // LT has one value
  });

  it('returns to the initial sets at control characters such as CR LF', () => {
    const bytes = Buffer.concat([hex('1b2442'), hex('3b33'), Buffer.from('\r\n'), hex('3b33')]);
    expect(decodeText(bytes, ['', 'ISO 2022 IR 87'], 'LT')).toBe('山\r\n;3');
  });

  it('does not take delimiter bytes inside a two-byte character for delimiters', () => {
    // JIS X 0208 0x5C 0x5E is one kanji: its bytes are '\' and '^' in ASCII.
    const bytes = Buffer.concat([hex('1b2442'), hex('5c5e'), hex('1b2842')]);
    const decoded = decodeText(bytes, ['', 'ISO 2022 IR 87'], 'PN');
    expect(decoded).toHaveLength(1);
    expect(decoded).toBe(new TextDecoder('euc-jp').decode(hex('dcde')));
  });

  it('decodes JIS X 0212 (ISO 2022 IR 159) through EUC-JP', () => {
    const bytes = Buffer.concat([hex('1b242844'), hex('3021'), hex('1b2842')]);
    expect(decodeText(bytes, ['', 'ISO 2022 IR 159'])).toBe(new TextDecoder('euc-jp').decode(hex('8fb0a1')));
  });

  it('reads ISO_IR n written where ISO 2022 IR n is meant with code extensions', () => {
    const bytes = Buffer.concat([hex('e9'), hex('1b2d4c'), hex('bb')]);
    expect(decodeText(bytes, ['ISO_IR 100', 'ISO_IR 144'])).toBe('éЛ');
  });

  it('ignores further values after ISO_IR 192', () => {
    expect(decodeText(Buffer.from('Ä', 'utf8'), ['ISO_IR 192', 'ISO 2022 IR 87'])).toBe('Ä');
  });
});

describe('encodeText', () => {
  it('encodes UTF-8, ISO 8859 parts and the default repertoire', () => {
    expect(encodeText('王^小東', 'ISO_IR 192')).toEqual(Buffer.from('王^小東', 'utf8'));
    expect(encodeText('Äneas', 'ISO_IR 100')).toEqual(hex('c46e656173'));
    expect(encodeText('Люк', ['ISO_IR 144'])).toEqual(hex('bbeeda'));
    expect(encodeText('€', 'ISO_IR 203')).toEqual(hex('a4'));
    expect(encodeText('plain', undefined)).toEqual(Buffer.from('plain'));
  });

  it('round-trips every character of each single-byte set', () => {
    for (const term of [
      'ISO_IR 100',
      'ISO_IR 101',
      'ISO_IR 109',
      'ISO_IR 110',
      'ISO_IR 144',
      'ISO_IR 126',
      'ISO_IR 148',
      'ISO_IR 203',
    ]) {
      // ISO 8859-3 leaves some positions undefined: only the defined ones are round-tripped.
      const defined = Array.from({ length: 0x60 }, (_, i) => 0xa0 + i).filter(
        (b) => decodeText(Buffer.of(b), term) !== '\ufffd',
      );
      const bytes = Buffer.from(defined);
      const text = decodeText(bytes, term);
      expect(encodeText(text, term)).toEqual(bytes);
    }
  });

  it('refuses characters the set does not have', () => {
    expect(() => encodeText('é', undefined)).toThrow(CharsetError);
    expect(() => encodeText('Ж', 'ISO_IR 100')).toThrow(expect.objectContaining({ code: 'Unencodable' }));
  });

  it('refuses character sets it cannot write', () => {
    expect(() => encodeText('山', ['', 'ISO 2022 IR 87'])).toThrow(
      expect.objectContaining({ code: 'UnsupportedCharacterSet' }),
    );
    expect(() => encodeText('王', 'GB18030')).toThrow(expect.objectContaining({ code: 'UnsupportedCharacterSet' }));
  });
});
