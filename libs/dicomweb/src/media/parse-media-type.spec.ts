import { DicomwebError } from '../errors/dicomweb-error';
import { formatMediaType, parseMediaType } from './parse-media-type';

describe('parseMediaType', () => {
  it('lower-cases type, subtype and parameter names, and keeps the case of values', () => {
    expect(parseMediaType('Multipart/Related; Type="application/dicom"; Boundary=AbC')).toEqual({
      type: 'multipart',
      subtype: 'related',
      essence: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'AbC' },
    });
  });

  it('reads quoted strings with escapes, commas and semicolons as one value', () => {
    expect(parseMediaType('multipart/related; boundary="a\\"b;c,d"; type=x').params).toEqual({
      boundary: 'a"b;c,d',
      type: 'x',
    });
  });

  it('treats quoted and unquoted values the same (PS3.18 §8.7)', () => {
    expect(parseMediaType('application/dicom; transfer-syntax="1.2.840.10008.1.2.1"').params).toEqual(
      parseMediaType('application/dicom; transfer-syntax=1.2.840.10008.1.2.1').params,
    );
  });

  it('tolerates what DICOMweb clients send: unquoted type=application/dicom, spaces around "=", empty parameters', () => {
    expect(parseMediaType('multipart/related;type=application/dicom ; ;boundary = x;').params).toEqual({
      type: 'application/dicom',
      boundary: 'x',
    });
  });

  it.each([
    ['', /needs a type/],
    ['application', /type\/subtype/],
    ['application/', /no subtype/],
    ['*/*', /range/],
    ['image/*', /range/],
    ['application/dicom; boundary', /no value/],
    ['application/dicom; a="unterminated', /unterminated/],
    ['application/dicom; a=1; A=2', /repeated/],
    ['application/dicom x', /unexpected/],
    ['application/dicom; a=""x', /unexpected/],
  ])('answers 400 for %p', (text, message) => {
    expect(() => parseMediaType(text)).toThrow(DicomwebError);
    expect(() => parseMediaType(text)).toThrow(message);
  });
});

describe('formatMediaType', () => {
  it('quotes only values that are not tokens, and skips undefined parameters', () => {
    expect(
      formatMediaType('multipart/related', { type: 'application/dicom', 'transfer-syntax': '*', boundary: undefined }),
    ).toBe('multipart/related; type="application/dicom"; transfer-syntax=*');
    expect(formatMediaType('text/plain', { note: 'say "hi"' })).toBe('text/plain; note="say \\"hi\\""');
  });

  it('writes what parseMediaType reads back', () => {
    const params = { type: 'application/dicom', boundary: 'a b"c\\d' };
    expect(parseMediaType(formatMediaType('multipart/related', params)).params).toEqual(params);
  });
});
