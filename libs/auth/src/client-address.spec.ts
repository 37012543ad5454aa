import { clientAddressResolver } from './client-address';

describe('clientAddressResolver', () => {
  const resolve = clientAddressResolver(['loopback', '10.0.0.0/8']);

  it('is the peer when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(resolve('203.0.113.7', '1.2.3.4')).toBe('203.0.113.7');
  });

  it('is the right-most untrusted X-Forwarded-For hop behind trusted proxies', () => {
    expect(resolve('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.2, 10.1.2.3')).toBe('198.51.100.2');
    expect(resolve('127.0.0.1', undefined)).toBe('127.0.0.1');
  });

  it('stops at a hop that is not an address', () => {
    expect(resolve('127.0.0.1', 'unknown, 10.0.0.5')).toBe('10.0.0.5');
  });

  it('refuses a trusted proxy entry that is no address, CIDR or "loopback" (the service stops at start)', () => {
    expect(() => clientAddressResolver(['loopback', 'proxy.example'])).toThrow(/Invalid trusted proxy "proxy.example"/);
    expect(() => clientAddressResolver(['10.0.0.0/40'])).toThrow(/bad prefix length/);
  });
});
