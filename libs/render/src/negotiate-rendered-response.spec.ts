import { DicomwebError, negotiateRendered } from '@pacs/dicomweb';
import { negotiateRenderedResponse } from './negotiate-rendered-response';

const single = (accept?: string, acceptQuery?: string) =>
  negotiateRenderedResponse(accept, { acceptQuery, multipleImages: false });
const several = (accept?: string, acceptQuery?: string) =>
  negotiateRenderedResponse(accept, { acceptQuery, multipleImages: true });

const code = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof DicomwebError ? error.code : 'other';
  }
};

describe('negotiateRenderedResponse', () => {
  // The single-image choice is @pacs/dicomweb's negotiateRendered: the same Accept gives the same media type.
  it.each([
    [undefined, undefined],
    ['*/*', undefined],
    ['image/*', undefined],
    ['image/png', undefined],
    ['image/png;q=0.5, image/webp', undefined],
    ['image/*;q=0.5, image/png;q=0.1', undefined],
    ['image/*, image/jpeg;q=0', undefined],
    ['image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', undefined],
    ['text/html, image/gif;q=0.3', undefined],
    ['image/png', 'image/jpeg'],
    ['image/png', 'text/html'],
    [undefined, 'image/gif'],
    ['application/dicom', undefined],
    [undefined, 'application/dicom'],
  ])('chooses as negotiateRendered does for Accept %j and accept=%j', (accept, acceptQuery) => {
    const ours = code(() => single(accept, acceptQuery)) ?? single(accept, acceptQuery).mediaType;
    const theirs =
      code(() => negotiateRendered(accept, { acceptQuery })) ?? negotiateRendered(accept, { acceptQuery }).mediaType;
    expect(ours).toBe(theirs);
    if (ours !== 'NotAcceptable') expect(single(accept, acceptQuery).multipart).toBe(false);
  });

  it('offers several images as multipart/related of JPEG by default', () => {
    expect(several()).toEqual({ mediaType: 'image/jpeg', multipart: true });
    expect(several('*/*')).toEqual({ mediaType: 'image/jpeg', multipart: true });
    expect(several('multipart/related')).toEqual({ mediaType: 'image/jpeg', multipart: true });
  });

  it('honours the type of multipart/related', () => {
    expect(several('multipart/related; type="image/png"')).toEqual({ mediaType: 'image/png', multipart: true });
    expect(several('multipart/related; type=image/webp')).toEqual({ mediaType: 'image/webp', multipart: true });
    expect(code(() => several('multipart/related; type="application/dicom"'))).toBe('NotAcceptable');
  });

  it('answers a single-image media type with one image, even for several images (PS3.18 §8.7.8.1)', () => {
    expect(several('image/png')).toEqual({ mediaType: 'image/png', multipart: false });
    expect(several('image/*')).toEqual({ mediaType: 'image/jpeg', multipart: false });
  });

  it('ranks single and multipart ranges by q, then by specificity', () => {
    expect(several('image/png, multipart/related; type="image/png";q=0.5')).toEqual({
      mediaType: 'image/png',
      multipart: false,
    });
    expect(several('image/png;q=0.5, multipart/related; type="image/png"')).toEqual({
      mediaType: 'image/png',
      multipart: true,
    });
  });

  it('lets the accept query parameter win over the header', () => {
    expect(several('multipart/related; type="image/png"', 'image/gif')).toEqual({
      mediaType: 'image/gif',
      multipart: false,
    });
  });

  it('refuses multipart for a single image, and a transfer-syntax parameter (PS3.18 §8.7.4)', () => {
    expect(code(() => single('multipart/related; type="image/jpeg"'))).toBe('NotAcceptable');
    expect(code(() => single('image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50'))).toBe('NotAcceptable');
  });
});
