import { parseAccept } from './parse-accept';

describe('parseAccept', () => {
  it('reads entries with their q-values and positions', () => {
    const entries = parseAccept('application/dicom+json, application/json;q=0.5, */*;q=0.1');
    expect(entries.map((e) => [e.essence, e.q, e.index])).toEqual([
      ['application/dicom+json', 1, 0],
      ['application/json', 0.5, 1],
      ['*/*', 0.1, 2],
    ]);
  });

  it('keeps media type parameters and drops q and accept-ext after it', () => {
    const [entry] = parseAccept('multipart/related; type="application/dicom"; transfer-syntax=*; q=0.9; level=2');
    expect(entry!.params).toEqual({ type: 'application/dicom', 'transfer-syntax': '*' });
    expect(entry!.q).toBe(0.9);
  });

  it('reads quoted and unquoted transfer-syntax=* alike', () => {
    const [a, b] = parseAccept(
      'multipart/related; type="application/dicom"; transfer-syntax="*", multipart/related; type=application/dicom; transfer-syntax=*',
    );
    expect(a!.params).toEqual(b!.params);
  });

  it('does not split at a comma inside a quoted string', () => {
    expect(parseAccept('a/b; x="1,2", c/d').map((e) => e.essence)).toEqual(['a/b', 'c/d']);
  });

  it('joins several Accept fields into one list', () => {
    expect(parseAccept(['image/png', 'image/jpeg;q=0.8']).map((e) => [e.essence, e.index])).toEqual([
      ['image/png', 0],
      ['image/jpeg', 1],
    ]);
  });

  it('leaves out invalid entries and keeps the valid ones (PS3.18 §8.7.7)', () => {
    const entries = parseAccept('garbage, */json, image/png;q=2, image/gif;q=0.1234, , image/jpeg ;q=0.5 , text/*');
    expect(entries.map((e) => [e.essence, e.q])).toEqual([
      ['image/jpeg', 0.5],
      ['text/*', 1],
    ]);
  });

  it('gives no entries for an absent or empty header', () => {
    expect(parseAccept(undefined)).toEqual([]);
    expect(parseAccept('')).toEqual([]);
  });
});
