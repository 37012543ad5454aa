// Content negotiation of the retrieve resources (PS3.18 §8.7.8 "Selected Media Type and Transfer Syntax").
//
// PS3.18 §8.7.8.1: the media types of the Accept query parameter and the media ranges of the Accept header
// are each prioritised by RFC 7231 §5.3.1, then
//   1. identify the target's Resource Category,
//   2. select the highest priority supported media type in the Accept query parameter,
//   3. else the highest priority supported media type in the Accept header field,
//   4. else the category's default media type if the Accept header has a wildcard range matching it,
//   5. else 406 (Not Acceptable).
// Priority is the q of the most specific range matching a representation (RFC 7231 §5.3.2; q=0 excludes
// it); among equal q the more specific range, then the client's order, then the server's order of offers.
// A request without any Accept gets the resource's default: RFC 7231 §5.3.2 reads a missing Accept as
// "any media type", which is what clients such as curl rely on.
import { DicomwebError } from '../errors/dicomweb-error';
import { AnyTransferSyntax, bulkdataMediaTypes, isUid, MediaTypes, WebTransferSyntax } from './media-types';
import { parseAccept, type AcceptEntry } from './parse-accept';

/** How an offered representation looks as a media type, for matching it against Accept ranges. */
interface Offer<R> {
  readonly rep: R;
  readonly type: string;
  readonly subtype: string;
  /** Only the parameters negotiation understands: `type` (lower-cased) and `transfer-syntax`. */
  readonly params: Readonly<Record<string, string>>;
}

/** Parameters of an Accept range that constrain the match; others (charset, …) are not negotiated. */
const negotiatedParams = ['type', 'transfer-syntax'] as const;

const isWildcard = (e: AcceptEntry): boolean => e.type === '*' || e.subtype === '*';

/**
 * The parameters an Accept entry means for one resource: DICOM media types have a default `type`
 * (multipart/related) and a default transfer syntax (PS3.18 §8.7.3.7: "Each DICOM Media Type in the
 * Acceptable Media Types has an Acceptable Transfer Syntax, which is explicitly specified or has a default
 * value"), so `type="application/dicom"` without transfer-syntax names Explicit VR Little Endian, not "any".
 */
type EffectiveParams = (e: AcceptEntry) => Readonly<Record<string, string>>;

/**
 * How well range `e` matches `offer`: -1 when it does not, else a specificity score (RFC 7231 §5.3.2:
 * the most specific range decides). A transfer syntax matched exactly is more specific than `*`.
 */
function matchScore<R>(e: AcceptEntry, params: Readonly<Record<string, string>>, offer: Offer<R>): number {
  if (e.type !== '*' && e.type !== offer.type) return -1;
  if (e.subtype !== '*' && e.subtype !== offer.subtype) return -1;
  if (isWildcard(e)) return e.type === '*' ? 0 : 10; // parameters of a wildcard range constrain nothing we offer
  let score = 20;
  for (const name of negotiatedParams) {
    const wanted = params[name];
    if (wanted === undefined) continue;
    const offered = offer.params[name];
    if (offered === undefined) return -1;
    if (name === 'type') {
      if (wanted.toLowerCase() !== offered) return -1;
      score += 2;
    } else if (wanted === offered) score += 2;
    else if (wanted === AnyTransferSyntax) score += 1;
    else return -1;
  }
  return score;
}

/** The q the client gives an offer: that of the most specific matching range (RFC 7231 §5.3.2). */
function qualityOf<R>(offer: Offer<R>, entries: readonly AcceptEntry[], effective: EffectiveParams): number {
  let best = -1;
  let q = 0;
  for (const e of entries) {
    const score = matchScore(e, isWildcard(e) ? {} : effective(e), offer);
    if (score > best) {
      best = score;
      q = e.q;
    }
  }
  return q;
}

const rangeSpecificity = (e: AcceptEntry): number =>
  (e.type === '*' ? 0 : e.subtype === '*' ? 1 : 2) * 10 + negotiatedParams.filter((p) => p in e.params).length;

/** The offers acceptable to `entries`, best first; empty when none is. */
function rank<R>(
  entries: readonly AcceptEntry[],
  fromEntry: (e: AcceptEntry) => Offer<R> | undefined,
  offers: readonly Offer<R>[],
  effective: EffectiveParams,
): R[] {
  const ordered = entries
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q || rangeSpecificity(b) - rangeSpecificity(a) || a.index - b.index);
  const found: { offer: Offer<R>; q: number; order: number }[] = [];
  const seen = new Set<string>();
  for (const e of ordered) {
    const candidates = isWildcard(e)
      ? offers.filter((o) => matchScore(e, {}, o) >= 0)
      : [fromEntry(e)].filter((o): o is Offer<R> => o !== undefined);
    for (const offer of candidates) {
      const key = JSON.stringify(offer.rep);
      if (seen.has(key)) continue;
      seen.add(key);
      const q = qualityOf(offer, entries, effective);
      if (q > 0) found.push({ offer, q, order: found.length });
    }
  }
  return found.sort((a, b) => b.q - a.q || a.order - b.order).map((f) => f.offer.rep);
}

export interface NegotiationInput {
  /** The `accept` query parameter (PS3.18 §8.3.3.1); it is considered before the Accept header. */
  acceptQuery?: string | readonly string[];
}

const isBlank = (v: string | readonly string[] | undefined): boolean =>
  v === undefined || (typeof v === 'string' ? v.trim() === '' : v.every((s) => s.trim() === ''));

function negotiate<R>(
  accept: string | readonly string[] | undefined,
  input: NegotiationInput,
  fromEntry: (e: AcceptEntry) => Offer<R> | undefined,
  offers: readonly Offer<R>[],
  effective: EffectiveParams,
  resource: string,
): R[] {
  const queried = !isBlank(input.acceptQuery);
  if (queried) {
    const fromQuery = rank(parseAccept(input.acceptQuery), fromEntry, offers, effective);
    if (fromQuery.length > 0) return fromQuery;
  }
  if (isBlank(accept)) {
    // PS3.18 §8.7.8.1: never a silent fallback; without any Accept the default is what was asked for.
    if (!queried && offers.length > 0) return offers.map((o) => o.rep);
  } else {
    const fromHeader = rank(parseAccept(accept), fromEntry, offers, effective);
    if (fromHeader.length > 0) return fromHeader;
  }
  throw new DicomwebError('NotAcceptable', `None of the requested media types can be returned for ${resource}`);
}

/** A transfer syntax from an Accept entry, or undefined when it is invalid or not offered. */
function acceptableTransferSyntax(
  requested: string | undefined,
  fallback: string,
  allowed: readonly string[] | undefined,
  supported: readonly string[] | undefined,
): string | undefined {
  const ts = requested ?? fallback;
  if (ts === AnyTransferSyntax) return ts;
  if (!isUid(ts)) return undefined;
  // PS3.18 §8.7.3: Implicit VR Little Endian and Explicit VR Big Endian shall not be used with Web Services.
  if (ts === WebTransferSyntax.ImplicitVRLittleEndian || ts === WebTransferSyntax.ExplicitVRBigEndian) return undefined;
  if (allowed && !allowed.includes(ts)) return undefined;
  if (supported && !supported.includes(ts)) return undefined;
  return ts;
}

// ---------------------------------------------------------------------------------------------------------
// Study, series and instance resources (PS3.18 §10.4.1.1.1 "DICOM Resources", Table 10.4.4-1)

export interface InstancesRepresentation {
  /** multipart/related; type="application/dicom" (true) or a single application/dicom body (false). */
  readonly multipart: boolean;
  readonly mediaType: typeof MediaTypes.dicom;
  /** A transfer syntax UID, or '*' for "as stored" (PS3.18 §8.7.3.5.2). */
  readonly transferSyntax: string;
}

export interface InstancesNegotiation extends NegotiationInput {
  resource: 'study' | 'series' | 'instance';
  /** Transfer syntaxes the server can produce; absent: any valid one (the caller transcodes or answers 406). */
  transferSyntaxes?: readonly string[];
}

export type Negotiated<R> = R & {
  /** Every acceptable representation, best first (the selected one is the first), for per-part choices. */
  readonly acceptable: readonly R[];
};

const dicomOffer = (multipart: boolean, transferSyntax: string): Offer<InstancesRepresentation> => ({
  rep: { multipart, mediaType: MediaTypes.dicom, transferSyntax },
  ...(multipart
    ? { type: 'multipart', subtype: 'related', params: { type: MediaTypes.dicom, 'transfer-syntax': transferSyntax } }
    : { type: 'application', subtype: 'dicom', params: { 'transfer-syntax': transferSyntax } }),
});

/**
 * Chooses the representation of a study, series or instance retrieve (PS3.18 Table 10.4.4-1):
 * `multipart/related; type="application/dicom"[; transfer-syntax=…]` (default), and the single part
 * `application/dicom` for an instance only (PS3.18 §10.4.4: single part media types are ignored for other
 * resources). `multipart/related` without `type` is read as `type="application/dicom"`. A missing
 * transfer-syntax means Explicit VR Little Endian (PS3.18 §8.7.3.4). `multipart/related;
 * type="application/octet-stream"` on these resources means the bulkdata resource (§10.4.4) and is not
 * offered here.
 * @throws DicomwebError('NotAcceptable') when nothing requested can be returned.
 */
export function negotiateInstances(
  accept: string | readonly string[] | undefined,
  options: InstancesNegotiation,
): Negotiated<InstancesRepresentation> {
  const fallback = WebTransferSyntax.ExplicitVRLittleEndian;
  const effective: EffectiveParams = (e) => {
    if (e.essence === MediaTypes.multipartRelated) {
      const type = (e.params.type ?? MediaTypes.dicom).toLowerCase();
      return type === MediaTypes.dicom
        ? { type, 'transfer-syntax': e.params['transfer-syntax'] ?? fallback }
        : { type };
    }
    if (e.essence === MediaTypes.dicom) return { 'transfer-syntax': e.params['transfer-syntax'] ?? fallback };
    return e.params;
  };
  const fromEntry = (e: AcceptEntry): Offer<InstancesRepresentation> | undefined => {
    let multipart: boolean;
    if (e.essence === MediaTypes.multipartRelated) {
      if ((e.params.type ?? MediaTypes.dicom).toLowerCase() !== MediaTypes.dicom) return undefined;
      multipart = true;
    } else if (e.essence === MediaTypes.dicom && options.resource === 'instance') {
      multipart = false;
    } else {
      return undefined;
    }
    const ts = acceptableTransferSyntax(e.params['transfer-syntax'], fallback, undefined, options.transferSyntaxes);
    return ts === undefined ? undefined : dicomOffer(multipart, ts);
  };
  const defaultsSupported = !options.transferSyntaxes || options.transferSyntaxes.includes(fallback);
  const offers = defaultsSupported
    ? [dicomOffer(true, fallback), ...(options.resource === 'instance' ? [dicomOffer(false, fallback)] : [])]
    : [];
  const acceptable = negotiate(accept, options, fromEntry, offers, effective, `a ${options.resource}`);
  return { ...acceptable[0]!, acceptable };
}

// ---------------------------------------------------------------------------------------------------------
// Metadata and search results (PS3.18 Table 10.4.4-1 metadata rows; §10.6.3.3, Table 10.6.4-1)

export interface JsonRepresentation {
  readonly mediaType: typeof MediaTypes.dicomJson | typeof MediaTypes.json;
}

const jsonOffer = (mediaType: JsonRepresentation['mediaType']): Offer<JsonRepresentation> => ({
  rep: { mediaType },
  type: 'application',
  subtype: mediaType.slice('application/'.length),
  params: {},
});

function negotiateJson(
  accept: string | readonly string[] | undefined,
  options: NegotiationInput,
  resource: string,
): Negotiated<JsonRepresentation> {
  const offers = [jsonOffer(MediaTypes.dicomJson), jsonOffer(MediaTypes.json)];
  const fromEntry = (e: AcceptEntry): Offer<JsonRepresentation> | undefined =>
    offers.find((o) => o.rep.mediaType === e.essence);
  const acceptable = negotiate(accept, options, fromEntry, offers, (e) => e.params, resource);
  return { ...acceptable[0]!, acceptable };
}

/**
 * Chooses the representation of a metadata resource: `application/dicom+json` (default) or
 * `application/json` (answered in the same DICOM JSON model, PS3.18 Annex F). The XML representation,
 * `multipart/related; type="application/dicom+xml"`, is not offered: a client asking only for it gets 406,
 * which PS3.18 §8.7.8.1 step 5 allows, and the conformance statement says so.
 * @throws DicomwebError('NotAcceptable') when nothing requested can be returned.
 */
export const negotiateMetadata = (
  accept: string | readonly string[] | undefined,
  options: NegotiationInput = {},
): Negotiated<JsonRepresentation> => negotiateJson(accept, options, 'metadata');

/** Chooses the representation of QIDO-RS results; the same JSON media types as metadata (PS3.18 §10.6.3.3). */
export const negotiateQido = (
  accept: string | readonly string[] | undefined,
  options: NegotiationInput = {},
): Negotiated<JsonRepresentation> => negotiateJson(accept, options, 'search results');

// ---------------------------------------------------------------------------------------------------------
// Frames and bulkdata (PS3.18 §10.4.1.1.3, §10.4.1.1.4, Table 10.4.4-1; media types of Table 8.7.3-4/-5)

export interface BulkdataRepresentation {
  readonly multipart: boolean;
  /** The media type of each part (or of the single body): application/octet-stream, image/jls, … */
  readonly type: string;
  /** A transfer syntax UID allowed with `type`, or '*' for "as stored". */
  readonly transferSyntax: string;
}

export interface BulkdataNegotiation extends NegotiationInput {
  /** The response is one item (one frame, one bulkdata value): single part media types are allowed. */
  singlePart?: boolean;
  /** Transfer syntaxes the server can produce; absent: any the media type allows. */
  transferSyntaxes?: readonly string[];
  /** Part media types the server can produce; absent: every type of `bulkdataMediaTypes`. */
  types?: readonly string[];
}

const bulkdataOffer = (multipart: boolean, type: string, transferSyntax: string): Offer<BulkdataRepresentation> => {
  const [major = '', minor = ''] = type.split('/');
  return {
    rep: { multipart, type, transferSyntax },
    ...(multipart
      ? { type: 'multipart', subtype: 'related', params: { type, 'transfer-syntax': transferSyntax } }
      : { type: major, subtype: minor, params: { 'transfer-syntax': transferSyntax } }),
  };
};

/**
 * Chooses the representation of a frames or bulkdata retrieve: `multipart/related;
 * type="application/octet-stream"` (default, uncompressed, Explicit VR Little Endian) or a compressed
 * pixel media type (`type="image/jls"`, `type="image/jpeg"`, …) with a transfer syntax the media type allows
 * (its default when absent); `transfer-syntax=*` leaves the choice to the server. Single part media types
 * only when `singlePart` (PS3.18 §10.4.4).
 * @throws DicomwebError('NotAcceptable') when nothing requested can be returned.
 */
export function negotiateBulkdata(
  accept: string | readonly string[] | undefined,
  options: BulkdataNegotiation = {},
): Negotiated<BulkdataRepresentation> {
  const types = options.types ?? Object.keys(bulkdataMediaTypes);
  const effective: EffectiveParams = (e) => {
    const multipart = e.essence === MediaTypes.multipartRelated;
    const type = multipart ? (e.params.type ?? MediaTypes.octetStream).toLowerCase() : e.essence;
    const fallback = bulkdataMediaTypes[type]?.default;
    const ts = e.params['transfer-syntax'] ?? fallback;
    const params: Record<string, string> = multipart ? { type } : {};
    if (ts !== undefined) params['transfer-syntax'] = ts;
    return params;
  };
  const fromEntry = (e: AcceptEntry): Offer<BulkdataRepresentation> | undefined => {
    const multipart = e.essence === MediaTypes.multipartRelated;
    if (!multipart && !options.singlePart) return undefined;
    const type = multipart ? (e.params.type ?? MediaTypes.octetStream).toLowerCase() : e.essence;
    const table = bulkdataMediaTypes[type];
    if (!table || !types.includes(type)) return undefined;
    const ts = acceptableTransferSyntax(
      e.params['transfer-syntax'],
      table.default,
      [table.default, ...table.others],
      options.transferSyntaxes,
    );
    return ts === undefined ? undefined : bulkdataOffer(multipart, type, ts);
  };
  const fallback = WebTransferSyntax.ExplicitVRLittleEndian;
  const defaultsSupported =
    types.includes(MediaTypes.octetStream) &&
    (!options.transferSyntaxes || options.transferSyntaxes.includes(fallback));
  const offers = defaultsSupported
    ? [
        bulkdataOffer(true, MediaTypes.octetStream, fallback),
        ...(options.singlePart ? [bulkdataOffer(false, MediaTypes.octetStream, fallback)] : []),
      ]
    : [];
  const acceptable = negotiate(
    accept,
    options,
    fromEntry,
    offers,
    effective,
    options.singlePart ? 'this item' : 'these items',
  );
  return { ...acceptable[0]!, acceptable };
}

/** Frames are pixel data bulkdata: the same media types (PS3.18 §10.4.1.1.4). */
export const negotiateFrames = negotiateBulkdata;

// ---------------------------------------------------------------------------------------------------------
// Rendered and thumbnail resources (PS3.18 §10.4.1.1.2 / §10.4.1.1.5, media types of §8.7.4 Table 8.7.4-1)

export interface RenderedRepresentation {
  readonly mediaType: string;
}

export interface RenderedNegotiation extends NegotiationInput {
  /**
   * Media types the renderer produces, the default first. Absent: image/jpeg (the default of the Single
   * Frame Image category, Table 8.7.4-1), image/png and image/gif (required there), image/webp (ours).
   */
  mediaTypes?: readonly string[];
}

const renderedDefaults = [MediaTypes.jpeg, MediaTypes.png, MediaTypes.gif, MediaTypes.webp] as const;

/**
 * Chooses the media type of a rendered or thumbnail resource. The `accept` query parameter is considered
 * before the Accept header (PS3.18 §8.3.3.1, §8.7.8.1), `image/*` and `*\/*` give the default.
 * @throws DicomwebError('NotAcceptable') when nothing requested can be returned.
 */
export function negotiateRendered(
  accept: string | readonly string[] | undefined,
  options: RenderedNegotiation = {},
): Negotiated<RenderedRepresentation> {
  const offers = (options.mediaTypes ?? renderedDefaults).map((mediaType): Offer<RenderedRepresentation> => {
    const [type = '', subtype = ''] = mediaType.split('/');
    return { rep: { mediaType }, type, subtype, params: {} };
  });
  const fromEntry = (e: AcceptEntry): Offer<RenderedRepresentation> | undefined =>
    offers.find((o) => o.rep.mediaType === e.essence);
  const acceptable = negotiate(accept, options, fromEntry, offers, (e) => e.params, 'a rendered image');
  return { ...acceptable[0]!, acceptable };
}

/** Thumbnails use the rendered media types (PS3.18 §10.4.1.1.5). */
export const negotiateThumbnail = negotiateRendered;
