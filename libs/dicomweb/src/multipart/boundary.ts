// Boundaries of multipart bodies (RFC 2046 §5.1.1):
//   boundary := 0*69<bchars> bcharsnospace
//   bchars := bcharsnospace / " "
//   bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"
import { randomBytes } from 'node:crypto';
import { DicomwebError } from '../errors/dicomweb-error';
import { MediaTypes } from '../media/media-types';
import { parseMediaType, type MediaType } from '../media/parse-media-type';

const boundaryPattern = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

export const isValidBoundary = (boundary: string): boolean => boundaryPattern.test(boundary);

/**
 * The media type and boundary of a multipart/related request (RFC 2387).
 * @throws DicomwebError('UnsupportedMediaType') when the body is not multipart/related,
 *   DicomwebError('BadRequest') when the boundary is missing or invalid.
 */
export function multipartBoundaryOf(contentType: string | undefined): { media: MediaType; boundary: string } {
  if (contentType === undefined || contentType.trim() === '') {
    throw new DicomwebError('UnsupportedMediaType', 'The request has no Content-Type; multipart/related is expected');
  }
  let media: MediaType;
  try {
    media = parseMediaType(contentType);
  } catch (cause) {
    throw new DicomwebError(
      'UnsupportedMediaType',
      `The Content-Type is not a media type: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (media.essence !== MediaTypes.multipartRelated) {
    throw new DicomwebError(
      'UnsupportedMediaType',
      `The Content-Type is ${media.essence}; multipart/related is expected`,
    );
  }
  const boundary = media.params.boundary;
  if (boundary === undefined)
    throw new DicomwebError('BadRequest', 'The multipart/related Content-Type has no boundary');
  if (!isValidBoundary(boundary)) {
    throw new DicomwebError('BadRequest', 'The multipart boundary is not valid (RFC 2046 §5.1.1: 1 to 70 characters)');
  }
  return { media, boundary };
}

/** A fresh boundary: 'pacs-' and 24 random bytes in hex, which no body part is going to contain. */
export const newBoundary = (): string => `pacs-${randomBytes(24).toString('hex')}`;
