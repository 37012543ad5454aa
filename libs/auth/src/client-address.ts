import { trustedProxyMatcher } from '@pacs/dicomweb';
import { isIP } from 'node:net';

const plain = (address: string): string => {
  const bare = address
    .trim()
    .replace(/%.*$/, '')
    .replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1]! : bare;
};

/**
 * The address of the client behind our proxies, for the audit trail: the peer, or — when the peer is a trusted
 * proxy (PACS_TRUSTED_PROXIES: "loopback", addresses, CIDRs) — the right-most X-Forwarded-For entry that is not
 * itself trusted. Entries left of it were written by the client and prove nothing.
 */
export function clientAddressResolver(
  trustedProxies: readonly string[],
): (peer: string | undefined, forwardedFor: string | string[] | undefined) => string {
  const isTrusted = trustedProxyMatcher(trustedProxies);
  return (peer, forwardedFor) => {
    let client = plain(peer ?? '');
    if (!forwardedFor || !isTrusted(client)) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map(plain);
    for (let i = hops.length - 1; i >= 0 && isTrusted(client); i--) {
      if (isIP(hops[i]!) === 0) break;
      client = hops[i]!;
    }
    return client;
  };
}
