import { generateUid, isValidUid } from './uid';

describe('isValidUid', () => {
  it.each(['1.2.840.10008.1.2.1', '0', '1.0.2', '2.25.329800735698586629295641978511506172918', '1.2.3'])(
    'accepts %s',
    (uid) => expect(isValidUid(uid)).toBe(true),
  );
  it.each([
    ['', 'empty'],
    ['1.02.3', 'a component with a leading zero'],
    ['1..2', 'an empty component'],
    ['.1.2', 'a leading dot'],
    ['1.2.', 'a trailing dot'],
    ['1.2.a', 'a letter'],
    ['1.2.3\0', 'NUL padding'],
    ['1.2.3 ', 'space padding'],
    [`1.${'2'.repeat(63)}`, 'more than 64 characters'],
  ])('rejects %j (%s)', (uid) => expect(isValidUid(uid)).toBe(false));
  it('accepts exactly 64 characters', () => expect(isValidUid(`1.${'2'.repeat(62)}`)).toBe(true));
});

describe('generateUid', () => {
  it('makes valid 2.25 UIDs that differ each time', () => {
    const uids = new Set(Array.from({ length: 1000 }, () => generateUid()));
    expect(uids.size).toBe(1000);
    for (const uid of uids) {
      expect(isValidUid(uid)).toBe(true);
      expect(uid.startsWith('2.25.')).toBe(true);
      expect(uid.length).toBeLessThanOrEqual(44);
    }
  });
  it('encodes a version 4 UUID (PS3.5 B.2)', () => {
    const n = BigInt(generateUid().slice(5));
    const hex = n.toString(16).padStart(32, '0');
    expect(hex[12]).toBe('4');
    expect(['8', '9', 'a', 'b']).toContain(hex[16]);
  });
});
