import { assertBlobKey, assertBlobPrefix } from './blob-key';
import { InvalidBlobKeyError } from './storage-errors';

describe('assertBlobKey', () => {
  it.each([
    'a',
    'studies/1.2.840.10008.1/series/1.2.3/instances/1.2.3.4',
    'derived/thumb.jpg',
    'a-b_c~d(e)',
    'é/ü',
    'x'.repeat(255),
    `${'y'.repeat(200)}/`.repeat(5) + 'z'.repeat(19),
  ])('accepts %j', (key) => {
    expect(() => assertBlobKey(key)).not.toThrow();
  });

  it.each([
    ['', 'is empty'],
    ['/a', 'empty segment'],
    ['a/', 'empty segment'],
    ['a//b', 'empty segment'],
    ['.', "starting with '.'"],
    ['..', "starting with '.'"],
    ['a/../../etc/passwd', "starting with '.'"],
    ['a/.staging/x', "starting with '.'"],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'control character'],
    ['a\tb', 'control character'],
    ['x'.repeat(256), 'longer than 255 bytes'],
    ['é'.repeat(128), 'longer than 255 bytes'],
    [`${'y'.repeat(200)}/`.repeat(5) + 'z'.repeat(20), 'longer than 1024 bytes'],
  ])('rejects %j: %s', (key, reason) => {
    expect(() => assertBlobKey(key)).toThrow(InvalidBlobKeyError);
    expect(() => assertBlobKey(key)).toThrow(reason);
  });
});

describe('assertBlobPrefix', () => {
  it.each(['', 'a', 'a/', 'studies/1.2.', 'a/b/c'])('accepts %j', (prefix) => {
    expect(() => assertBlobPrefix(prefix)).not.toThrow();
  });

  it.each(['/', '/a', 'a//', '../', 'a/../', 'a/.', '.st', 'a\\'])('rejects %j', (prefix) => {
    expect(() => assertBlobPrefix(prefix)).toThrow(InvalidBlobKeyError);
  });
});
