// The DICOMweb root URL as the client sees it, for the absolute URLs of responses (RetrieveURL,
// BulkDataURI, Content-Location). Behind a reverse proxy the request's own scheme and host are the
// proxy's view; the client's are in Forwarded (RFC 7239) or X-Forwarded-Proto/-Host/-Prefix, which only
// a proxy we trust may set: anyone else could point the URLs of our responses at their own server.
import { BlockList, isIP } from 'node:net';
import { DicomwebError } from '../errors/dicomweb-error';

export interface BaseUrlRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The peer's address (the last proxy, or the client). */
  remoteAddress: string;
  /** The scheme of the connection the server received. */
  protocol: 'http' | 'https';
  /** The Host header (or the framework's reading of it). */
  host?: string;
}

export interface BaseUrlOptions {
  /** A configured absolute URL of the DICOMweb root; when set it wins (trailing '/' removed). */
  publicBaseUrl: string;
  /** Proxies whose forwarding headers are believed: 'loopback' (127.0.0.0/8, ::1), addresses, CIDRs. */
  trustedProxies: readonly string[];
  /** Where DICOMweb is mounted on this server, e.g. '/dicomweb'. */
  mountPath: string;
}

/** host = uri-host [ ":" port ] with uri-host a reg-name, an IPv4 address or an [IPv6] literal. */
const hostPattern =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const prefixPattern = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*\/?$/;

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(',') : value;

/** Strips the IPv4-mapped IPv6 prefix and an IPv6 zone. */
function normaliseAddress(address: string): string {
  const plain = address.replace(/%.*$/, '').replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  return mapped ? mapped[1]! : plain;
}

/** The matchers made so far, by the settings they were made from: a process has one or two. */
const matchers = new Map<string, (address: string | undefined) => boolean>();

/**
 * Whether an address (IPv4, IPv6, IPv4-mapped IPv6, with or without brackets or a zone) is one of the trusted
 * proxies: addresses, CIDR blocks, or "loopback" (127.0.0.0/8 and ::1). Made once per setting (node's
 * BlockList costs more to build than a request costs to route); throws on an entry that is none of these.
 */
export function trustedProxyMatcher(trustedProxies: readonly string[]): (address: string | undefined) => boolean {
  const key = trustedProxies.join('\n');
  let matcher = matchers.get(key);
  if (!matcher) {
    const list = trustList(trustedProxies);
    matcher = (address) => {
      if (!address) return false;
      const ip = normaliseAddress(address);
      const family = isIP(ip);
      return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    };
    if (matchers.size < 16) matchers.set(key, matcher);
  }
  return matcher;
}

function trustList(trustedProxies: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of trustedProxies.map((e) => e.trim()).filter(Boolean)) {
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [address = '', bits] = entry.split('/');
    const ip = normaliseAddress(address);
    const family = isIP(ip);
    if (family === 0)
      throw new Error(`Invalid trusted proxy ${JSON.stringify(entry)}: an address, a CIDR or "loopback"`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, type);
    else {
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
        throw new Error(`Invalid trusted proxy ${JSON.stringify(entry)}: bad prefix length`);
      }
      list.addSubnet(ip, prefix, type);
    }
  }
  return list;
}

/** RFC 7239 §4: Forwarded = 1#forwarded-element; forwarded-element = [ pair ] *( ";" [ pair ] ). */
function parseForwarded(value: string): Record<string, string>[] {
  const elements: Record<string, string>[] = [];
  let element: Record<string, string> = {};
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c === ',') {
      elements.push(element);
      element = {};
      i++;
      continue;
    }
    if (c === ';' || c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        v += value[i] ?? '';
        i++;
      }
      i++;
    } else {
      while (i < value.length && value[i] !== ';' && value[i] !== ',') v += value[i++];
    }
    element[name] = v.trim();
  }
  elements.push(element);
  return elements;
}

/** A node of Forwarded "for": an IP (v4, or [v6] with an optional port), "unknown" or an obfuscated name. */
const forwardedFor = (node: string | undefined): string | undefined =>
  node === undefined
    ? undefined
    : node.replace(/^\[([^\]]+)\](?::\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');

const join = (origin: string, prefix: string, mountPath: string): string => {
  const path = `${prefix.replace(/\/+$/, '')}/${mountPath.replace(/^\/+/, '')}`.replace(/\/+$/, '');
  return `${origin}${path.startsWith('/') || path === '' ? path : `/${path}`}`;
};

/**
 * The absolute DICOMweb root for this request:
 * 1. `publicBaseUrl` when configured;
 * 2. else, when the peer is a trusted proxy: the Forwarded header (RFC 7239), read from the nearest proxy
 *    outwards while the "for" node is itself trusted, so a value a client injected is never used; or
 *    X-Forwarded-Proto / X-Forwarded-Host / X-Forwarded-Prefix (their last value: the one our proxy set);
 * 3. else the connection's scheme and the Host header.
 * @throws DicomwebError('BadRequest') when no valid host can be found.
 */
export function resolveBaseUrl(request: BaseUrlRequest, options: BaseUrlOptions): string {
  if (options.publicBaseUrl.trim() !== '') return options.publicBaseUrl.trim().replace(/\/+$/, '');

  let proto: string = request.protocol;
  let host = request.host ?? first(request.headers.host);
  let prefix = '';

  const isTrusted = trustedProxyMatcher(options.trustedProxies);
  if (isTrusted(request.remoteAddress)) {
    const forwarded = first(request.headers.forwarded);
    const lastOf = (name: string): string | undefined => first(request.headers[name])?.split(',').pop()?.trim();
    if (forwarded) {
      const elements = parseForwarded(forwarded);
      let k = elements.length - 1;
      while (k > 0 && isTrusted(forwardedFor(elements[k]!.for))) k--;
      // The element added by the outermost trusted proxy, and the ones our side of it added.
      for (let j = elements.length - 1; j >= k; j--) {
        const e = elements[j]!;
        if (e.proto) proto = e.proto.toLowerCase();
        if (e.host) host = e.host;
      }
    } else {
      const xProto = lastOf('x-forwarded-proto');
      const xHost = lastOf('x-forwarded-host');
      if (xProto) proto = xProto.toLowerCase();
      if (xHost) host = xHost;
    }
    const xPrefix = lastOf('x-forwarded-prefix');
    if (xPrefix && prefixPattern.test(xPrefix)) prefix = xPrefix;
  }

  if (proto !== 'http' && proto !== 'https') proto = request.protocol;
  if (!host || !hostPattern.test(host)) {
    throw new DicomwebError('BadRequest', 'The request has no valid Host header');
  }
  return join(`${proto}://${host.toLowerCase()}`, prefix, options.mountPath);
}
