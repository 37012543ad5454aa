import { DicomwebError } from '../errors/dicomweb-error';
import { resolveBaseUrl, type BaseUrlOptions, type BaseUrlRequest } from './resolve-base-url';

const options: BaseUrlOptions = {
  publicBaseUrl: '',
  trustedProxies: ['loopback', '10.0.0.0/8', '2001:db8::/32'],
  mountPath: '/dicomweb',
};
const request = (over: Partial<BaseUrlRequest> & { headers?: BaseUrlRequest['headers'] }): BaseUrlRequest => ({
  headers: { host: 'internal:8080' },
  remoteAddress: '127.0.0.1',
  protocol: 'http',
  ...over,
});

describe('resolveBaseUrl', () => {
  it('uses the configured public base URL first, whatever the headers say', () => {
    const url = resolveBaseUrl(request({ headers: { host: 'x', 'x-forwarded-host': 'evil.example' } }), {
      ...options,
      publicBaseUrl: 'https://pacs.example.org/dicomweb/',
    });
    expect(url).toBe('https://pacs.example.org/dicomweb');
  });

  it('uses the Host header and the connection scheme without a proxy', () => {
    expect(resolveBaseUrl(request({ remoteAddress: '192.0.2.10' }), options)).toBe('http://internal:8080/dicomweb');
    expect(resolveBaseUrl(request({ protocol: 'https', host: 'Pacs.Example:8443' }), options)).toBe(
      'https://pacs.example:8443/dicomweb',
    );
  });

  it('believes X-Forwarded-Proto/-Host/-Prefix from a trusted proxy', () => {
    const req = request({
      remoteAddress: '10.1.2.3',
      headers: {
        host: 'internal',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'pacs.example.org',
        'x-forwarded-prefix': '/imaging',
      },
    });
    expect(resolveBaseUrl(req, options)).toBe('https://pacs.example.org/imaging/dicomweb');
  });

  it('takes the last X-Forwarded value, the one the trusted proxy set', () => {
    const req = request({ headers: { host: 'internal', 'x-forwarded-host': 'evil.example, pacs.example.org' } });
    expect(resolveBaseUrl(req, options)).toBe('http://pacs.example.org/dicomweb');
  });

  it('ignores forwarding headers from a peer that is not trusted', () => {
    const req = request({
      remoteAddress: '192.0.2.66',
      headers: {
        host: 'pacs.example.org',
        'x-forwarded-host': 'evil.example',
        forwarded: 'host=evil.example;proto=https',
      },
    });
    expect(resolveBaseUrl(req, options)).toBe('http://pacs.example.org/dicomweb');
  });

  it('reads loopback as 127.0.0.0/8 and ::1, also IPv4-mapped', () => {
    for (const remoteAddress of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) {
      const req = request({ remoteAddress, headers: { host: 'internal', 'x-forwarded-proto': 'https' } });
      expect(resolveBaseUrl(req, options)).toBe('https://internal/dicomweb');
    }
    const outside = request({
      remoteAddress: '128.0.0.1',
      headers: { host: 'internal', 'x-forwarded-proto': 'https' },
    });
    expect(resolveBaseUrl(outside, options)).toBe('http://internal/dicomweb');
  });

  it('matches IPv6 CIDRs and single addresses', () => {
    const req = (remoteAddress: string) =>
      request({ remoteAddress, headers: { host: 'h', 'x-forwarded-proto': 'https' } });
    expect(resolveBaseUrl(req('2001:db8::5'), options)).toMatch(/^https:/);
    expect(resolveBaseUrl(req('2001:db9::5'), options)).toMatch(/^http:/);
    expect(resolveBaseUrl(req('192.0.2.7'), { ...options, trustedProxies: ['192.0.2.7'] })).toMatch(/^https:/);
    expect(resolveBaseUrl(req('127.0.0.1'), { ...options, trustedProxies: [] })).toMatch(/^http:/);
  });

  describe('Forwarded (RFC 7239)', () => {
    it('reads proto and host', () => {
      const req = request({
        headers: { host: 'internal', forwarded: 'for=192.0.2.60;proto=https;host="pacs.example.org:8443"' },
      });
      expect(resolveBaseUrl(req, options)).toBe('https://pacs.example.org:8443/dicomweb');
    });

    it('walks from the nearest proxy outwards through trusted proxies, so an injected element is not used', () => {
      // client → edge (10.0.0.5) → ingress (127.0.0.1) → us; the client sent its own Forwarded element first.
      const forwarded =
        'host=evil.example;proto=http, for=198.51.100.7;host=pacs.example.org;proto=https, for=10.0.0.5;host=ingress.internal;proto=http';
      expect(resolveBaseUrl(request({ headers: { host: 'internal', forwarded } }), options)).toBe(
        'https://pacs.example.org/dicomweb',
      );
    });

    it('reads quoted and bracketed IPv6 "for" nodes', () => {
      const forwarded =
        'for=198.51.100.7;host=pacs.example.org;proto=https, for="[2001:db8::1]:4711";host=x;proto=http';
      expect(resolveBaseUrl(request({ headers: { host: 'internal', forwarded } }), options)).toBe(
        'https://pacs.example.org/dicomweb',
      );
    });
  });

  it('joins prefix and mount path with single slashes', () => {
    const req = request({ headers: { host: 'h', 'x-forwarded-prefix': '/pacs/' } });
    expect(resolveBaseUrl(req, { ...options, mountPath: 'dicomweb/' })).toBe('http://h/pacs/dicomweb');
    expect(resolveBaseUrl(request({}), { ...options, mountPath: '' })).toBe('http://internal:8080');
  });

  it('ignores a forwarded scheme that is not http or https, and a malformed prefix', () => {
    const req = request({
      headers: { host: 'h', 'x-forwarded-proto': 'javascript', 'x-forwarded-prefix': 'no-slash"' },
    });
    expect(resolveBaseUrl(req, options)).toBe('http://h/dicomweb');
  });

  it.each([
    ['no Host', { headers: {} }],
    ['a Host with a path', { headers: { host: 'evil.example/x' } }],
    ['a Host with a user', { headers: { host: 'user@evil.example' } }],
    ['a forwarded host with spaces', { headers: { host: 'h', 'x-forwarded-host': 'a b' } }],
  ])('answers 400 for %s', (_, over) => {
    expect(() => resolveBaseUrl(request(over), options)).toThrow(DicomwebError);
  });

  it('rejects an invalid trusted proxy entry', () => {
    expect(() => resolveBaseUrl(request({}), { ...options, trustedProxies: ['not-an-ip'] })).toThrow(/trusted proxy/);
    expect(() => resolveBaseUrl(request({}), { ...options, trustedProxies: ['10.0.0.0/33'] })).toThrow(/prefix/);
  });
});
