import { boundaryOf, entityTag, ifNoneMatchMatches, varyWith } from './http-caching';

describe('If-None-Match (RFC 9110 §13.1.2)', () => {
  const tag = entityTag(['a', 1]);

  it('matches the same tag, weakly, in a list, and *', () => {
    expect(ifNoneMatchMatches(tag, tag)).toBe(true);
    expect(ifNoneMatchMatches(`"x", W/${tag}`, tag)).toBe(true);
    expect(ifNoneMatchMatches('*', tag)).toBe(true);
  });

  it('does not match another tag or no header', () => {
    expect(ifNoneMatchMatches(entityTag(['a', 2]), tag)).toBe(false);
    expect(ifNoneMatchMatches(undefined, tag)).toBe(false);
  });

  it('gives a boundary that is a valid multipart boundary and stable', () => {
    expect(boundaryOf(tag)).toMatch(/^wado-[A-Za-z0-9]+$/);
    expect(boundaryOf(tag)).toBe(boundaryOf(entityTag(['a', 1])));
  });

  it('adds to Vary without repeating names', () => {
    expect(varyWith('Origin', ['Accept', 'origin'])).toBe('Origin, Accept');
    expect(varyWith(undefined, ['Accept'])).toBe('Accept');
  });
});
