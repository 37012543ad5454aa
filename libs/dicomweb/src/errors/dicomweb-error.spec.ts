import { DicomwebError, httpStatusOf, isDicomwebError } from './dicomweb-error';
import { formatWarning, WarningText } from './format-warning';

describe('DicomwebError', () => {
  it('carries its code, status, message and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new DicomwebError('Unavailable', 'The index is unavailable', { cause, retryAfterSeconds: 7 });
    expect(error).toBeInstanceOf(Error);
    expect(isDicomwebError(error)).toBe(true);
    expect(error.name).toBe('DicomwebError');
    expect(error.status).toBe(503);
    expect(error.message).toBe('The index is unavailable');
    expect(error.cause).toBe(cause);
    expect(error.retryAfterSeconds).toBe(7);
  });

  it('is retryable by default only when unavailable or rate limited', () => {
    expect(new DicomwebError('Unavailable', 'x').retryable).toBe(true);
    expect(new DicomwebError('TooManyRequests', 'x').retryable).toBe(true);
    expect(new DicomwebError('BadRequest', 'x').retryable).toBe(false);
    expect(new DicomwebError('Conflict', 'x', { retryable: true }).retryable).toBe(true);
  });

  it('declares a 4xx or 5xx status for every code', () => {
    for (const [code, status] of Object.entries(httpStatusOf)) {
      expect([code, status >= 400 && status < 600]).toEqual([code, true]);
    }
    expect(httpStatusOf).toMatchObject({
      BadRequest: 400,
      NotFound: 404,
      NotAcceptable: 406,
      Conflict: 409,
      PayloadTooLarge: 413,
      UnsupportedMediaType: 415,
      Unavailable: 503,
    });
  });

  it('is told apart from other errors', () => {
    expect(isDicomwebError(new Error('x'))).toBe(false);
    expect(isDicomwebError({ code: 'BadRequest' })).toBe(false);
  });
});

describe('formatWarning', () => {
  it('writes the PS3.18 form 299 <service>: <text>', () => {
    expect(formatWarning('The fuzzymatching parameter is not supported.', 'qido')).toBe(
      '299 qido: The fuzzymatching parameter is not supported.',
    );
    expect(formatWarning(WarningText.additionalResults)).toBe(
      '299 pacs: There are additional results that can be requested',
    );
  });

  it('cannot be used to split a header: control and non-ASCII characters become "?"', () => {
    expect(formatWarning('a\r\nSet-Cookie: x=1 ü', 'my service')).toBe('299 my-service: a??Set-Cookie: x=1 ?');
  });

  it('cuts long reasons', () => {
    expect(formatWarning('x'.repeat(1000)).length).toBeLessThan(300);
  });
});
