import { contentRange, parseRange } from './parse-range';

describe('parseRange (RFC 9110 §14)', () => {
  it.each([
    ['bytes=0-9', { kind: 'range', start: 0, end: 9 }],
    ['bytes=10-', { kind: 'range', start: 10, end: 99 }],
    ['bytes=-10', { kind: 'range', start: 90, end: 99 }],
    ['bytes=-500', { kind: 'range', start: 0, end: 99 }],
    ['bytes=90-500', { kind: 'range', start: 90, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-1', { kind: 'whole' }],
    ['bytes=0-1,5-9', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
    ['bytes=', { kind: 'whole' }],
  ])('reads %s of 100 bytes', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });

  it('ignores a missing header', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'whole' });
  });

  it('writes Content-Range for 206 and 416', () => {
    expect(contentRange({ kind: 'range', start: 2, end: 5 }, 10)).toBe('bytes 2-5/10');
    expect(contentRange({ kind: 'unsatisfiable' }, 10)).toBe('bytes */10');
  });
});
