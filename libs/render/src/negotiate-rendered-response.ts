// Which representation a rendered or thumbnail response takes (PS3.18 §8.7.8.1 "Selected Media Type", the media
// types of §8.7.4 Table 8.7.4-1).
//
// Table 8.7.4-1, Single Frame Image category: image/jpeg (default), image/gif and image/png (required); image/webp
// is ours (documented in the conformance statement, as §8.7.4 asks of additional types). A resource holding more
// than one image (a study, a series, a multi-frame instance, a list of frames) is also offered as
// multipart/related; type="<one of those>", one rendered image per part (PS3.18 §8.7.1, multipart of a single
// media type), which is its default. A client that accepts only a single-image media type gets the first image:
// §8.7.8.1 forbids answering with a media type the client did not accept.
//
// Precedence as in @pacs/dicomweb's negotiate (and checked against negotiateRendered in the spec): the `accept`
// query parameter before the Accept header; an offer's quality is the q of the most specific range matching it
// (RFC 7231 §5.3.2); among equal q the more specific range, then the client's order, then ours. Without any Accept
// the default is served; when nothing acceptable is left, 406.
import { DicomwebError, MediaTypes, parseAccept, type AcceptEntry } from '@pacs/dicomweb';

export const RenderedImageType = {
  JPEG: MediaTypes.jpeg,
  PNG: MediaTypes.png,
  GIF: MediaTypes.gif,
  WEBP: MediaTypes.webp,
} as const;
export type RenderedImageType = (typeof RenderedImageType)[keyof typeof RenderedImageType];

/** Ours, in server order: JPEG is the default of Table 8.7.4-1. */
export const renderedImageTypes: readonly RenderedImageType[] = [
  RenderedImageType.JPEG,
  RenderedImageType.PNG,
  RenderedImageType.GIF,
  RenderedImageType.WEBP,
];

export interface RenderedResponseChoice {
  /** The media type of the image (of each part, when multipart). */
  readonly mediaType: RenderedImageType;
  /** multipart/related; type=mediaType with every image, or a single image body. */
  readonly multipart: boolean;
}

export interface RenderedResponseNegotiation {
  /** The `accept` query parameter (PS3.18 §8.3.3.1). */
  readonly acceptQuery?: string | readonly string[];
  /** The resource holds (or may hold) more than one image: multipart representations are offered first. */
  readonly multipleImages: boolean;
}

/** How specifically `e` matches `offer`: -1 no match, 0 `*\/*`, 1 `image/*` or `multipart/related` without type, 2 exact. */
function specificity(e: AcceptEntry, offer: RenderedResponseChoice): number {
  if (e.type === '*' && e.subtype === '*') return 0;
  // §8.7.4: a transfer-syntax parameter is not permitted with Rendered Media Types, so no rendering matches it.
  if (e.params['transfer-syntax'] !== undefined) return -1;
  if (offer.multipart) {
    if (e.essence !== MediaTypes.multipartRelated) return -1;
    const type = e.params.type?.toLowerCase();
    if (type === undefined) return 1;
    return type === offer.mediaType ? 2 : -1;
  }
  const [type, subtype] = offer.mediaType.split('/');
  if (e.type !== type) return -1;
  if (e.subtype === '*') return 1;
  return e.subtype === subtype ? 2 : -1;
}

function rank(entries: readonly AcceptEntry[], offers: readonly RenderedResponseChoice[]): RenderedResponseChoice[] {
  const scored = offers.flatMap((offer, order) => {
    let best: AcceptEntry | undefined;
    let bestSpecificity = -1;
    for (const e of entries) {
      const s = specificity(e, offer);
      if (s > bestSpecificity) {
        best = e;
        bestSpecificity = s;
      }
    }
    return best && best.q > 0 ? [{ offer, q: best.q, specificity: bestSpecificity, index: best.index, order }] : [];
  });
  scored.sort((a, b) => b.q - a.q || b.specificity - a.specificity || a.index - b.index || a.order - b.order);
  return scored.map((s) => s.offer);
}

const isBlank = (v: string | readonly string[] | undefined): boolean =>
  v === undefined || (typeof v === 'string' ? v.trim() === '' : v.every((s) => s.trim() === ''));

/**
 * Chooses the media type of a rendered or thumbnail response, and whether it is multipart.
 * @throws DicomwebError('NotAcceptable') when nothing requested can be returned (PS3.18 §8.7.8.1 step 5).
 */
export function negotiateRenderedResponse(
  accept: string | readonly string[] | undefined,
  options: RenderedResponseNegotiation,
): RenderedResponseChoice {
  const singles = renderedImageTypes.map((mediaType) => ({ mediaType, multipart: false }));
  const offers = options.multipleImages
    ? [...renderedImageTypes.map((mediaType) => ({ mediaType, multipart: true })), ...singles]
    : singles;
  const queried = !isBlank(options.acceptQuery);
  if (queried) {
    const fromQuery = rank(parseAccept(options.acceptQuery), offers);
    if (fromQuery.length > 0) return fromQuery[0]!;
  }
  if (isBlank(accept)) {
    if (!queried) return offers[0]!;
  } else {
    const fromHeader = rank(parseAccept(accept), offers);
    if (fromHeader.length > 0) return fromHeader[0]!;
  }
  throw new DicomwebError(
    'NotAcceptable',
    `None of the requested media types can be returned for a rendered image (we offer ${renderedImageTypes.join(', ')}${
      options.multipleImages ? ', and multipart/related of them' : ''
    })`,
  );
}
