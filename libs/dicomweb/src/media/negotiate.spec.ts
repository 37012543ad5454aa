import { DicomwebError } from '../errors/dicomweb-error';
import {
  negotiateBulkdata,
  negotiateFrames,
  negotiateInstances,
  negotiateMetadata,
  negotiateQido,
  negotiateRendered,
} from './negotiate';

const ELE = '1.2.840.10008.1.2.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
const JLS = '1.2.840.10008.1.2.4.80';
const J2K = '1.2.840.10008.1.2.4.90';

const notAcceptable = (run: () => unknown): void => {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DicomwebError);
  expect((thrown as DicomwebError).code).toBe('NotAcceptable');
};

describe('negotiateInstances', () => {
  // Accept values as PS3.18 §10.4 and its examples write them, and what they select.
  it.each([
    ['study', undefined, true, ELE],
    ['study', '*/*', true, ELE],
    ['study', 'multipart/*', true, ELE],
    ['study', 'multipart/related; type="application/dicom"', true, ELE],
    ['study', 'multipart/related; type=application/dicom', true, ELE],
    ['study', 'multipart/related', true, ELE],
    ['study', 'multipart/related; type="application/dicom"; transfer-syntax=*', true, '*'],
    ['study', `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_BASELINE}`, true, JPEG_BASELINE],
    ['series', 'Multipart/Related; Type="Application/DICOM"; transfer-syntax="*"', true, '*'],
    ['instance', 'application/dicom', false, ELE],
    ['instance', `application/dicom; transfer-syntax=${J2K}`, false, J2K],
    ['instance', 'application/*', false, ELE],
    ['instance', '*/*', true, ELE],
  ] as const)('%s with Accept %p selects multipart=%p, transfer syntax %p', (resource, accept, multipart, ts) => {
    const selected = negotiateInstances(accept, { resource });
    expect({
      multipart: selected.multipart,
      mediaType: selected.mediaType,
      transferSyntax: selected.transferSyntax,
    }).toEqual({
      multipart,
      mediaType: 'application/dicom',
      transferSyntax: ts,
    });
  });

  it('prefers the highest q, then the more specific range, then the client’s order', () => {
    const accept = [
      `multipart/related; type="application/dicom"; transfer-syntax=${JLS}; q=0.5`,
      `multipart/related; type="application/dicom"; transfer-syntax=${J2K}; q=0.9`,
      'multipart/related; type="application/dicom"; transfer-syntax=*; q=0.8',
      '*/*; q=0.9',
    ].join(', ');
    const selected = negotiateInstances(accept, { resource: 'series' });
    expect(selected.transferSyntax).toBe(J2K);
    expect(selected.acceptable.map((r) => r.transferSyntax)).toEqual([J2K, ELE, '*', JLS]);
  });

  it('reads a missing transfer-syntax as Explicit VR Little Endian, not as "any" (PS3.18 §8.7.3.7)', () => {
    const selected = negotiateInstances(
      'multipart/related; type="application/dicom", multipart/related; type="application/dicom"; transfer-syntax=*; q=0.5',
      { resource: 'study' },
    );
    expect(selected.acceptable.map((r) => r.transferSyntax)).toEqual([ELE, '*']);
  });

  it('lets q=0 exclude a representation a wildcard would give', () => {
    notAcceptable(() =>
      negotiateInstances('*/*, multipart/related; type="application/dicom"; q=0', { resource: 'study' }),
    );
  });

  it('ignores single part application/dicom for a study or series (PS3.18 §10.4.4)', () => {
    notAcceptable(() => negotiateInstances('application/dicom', { resource: 'study' }));
    expect(negotiateInstances('application/dicom, multipart/related; q=0.1', { resource: 'series' }).multipart).toBe(
      true,
    );
  });

  it.each([
    ['a type it does not return', 'application/dicom+json'],
    ['octet-stream parts (the bulkdata resource)', 'multipart/related; type="application/octet-stream"'],
    [
      'Implicit VR Little Endian (PS3.18 §8.7.3)',
      'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2',
    ],
    ['an invalid transfer syntax', 'multipart/related; type="application/dicom"; transfer-syntax=1.02.3'],
    ['only invalid entries', 'nonsense, also/'],
  ])('answers 406 for %s', (_, accept) => {
    notAcceptable(() => negotiateInstances(accept, { resource: 'study' }));
  });

  it('offers only the transfer syntaxes the server produces', () => {
    const options = { resource: 'study' as const, transferSyntaxes: [ELE, JLS] };
    expect(
      negotiateInstances(`multipart/related; type="application/dicom"; transfer-syntax=${JLS}`, options).transferSyntax,
    ).toBe(JLS);
    notAcceptable(() =>
      negotiateInstances(`multipart/related; type="application/dicom"; transfer-syntax=${J2K}`, options),
    );
  });

  it('considers the accept query parameter first (PS3.18 §8.7.8.1)', () => {
    const selected = negotiateInstances('multipart/related; type="application/dicom"', {
      resource: 'instance',
      acceptQuery: 'application/dicom; transfer-syntax=*',
    });
    expect(selected).toMatchObject({ multipart: false, transferSyntax: '*' });
  });

  it('falls back to the Accept header when nothing of the accept query parameter is supported', () => {
    expect(
      negotiateInstances('multipart/related; type="application/dicom"', { resource: 'study', acceptQuery: 'text/html' })
        .multipart,
    ).toBe(true);
  });

  it('answers 406 rather than a default when only an unsupported accept query parameter is given', () => {
    notAcceptable(() => negotiateInstances(undefined, { resource: 'study', acceptQuery: 'text/html' }));
  });
});

describe('negotiateMetadata and negotiateQido', () => {
  it.each([
    [undefined, 'application/dicom+json'],
    ['', 'application/dicom+json'],
    ['*/*', 'application/dicom+json'],
    ['application/*', 'application/dicom+json'],
    ['application/dicom+json', 'application/dicom+json'],
    ['application/json', 'application/json'],
    ['application/json, application/dicom+json', 'application/json'],
    ['application/json;q=0.5, application/dicom+json', 'application/dicom+json'],
    ['text/html, application/xhtml+xml, */*;q=0.8', 'application/dicom+json'],
  ])('with Accept %p answer %p', (accept, mediaType) => {
    expect(negotiateMetadata(accept).mediaType).toBe(mediaType);
    expect(negotiateQido(accept).mediaType).toBe(mediaType);
  });

  it('answers 406 for the XML representation, which is not offered', () => {
    notAcceptable(() => negotiateMetadata('multipart/related; type="application/dicom+xml"'));
    notAcceptable(() => negotiateQido('multipart/related; type="application/dicom+xml"'));
  });

  it('answers 406 when the client excludes every JSON type', () => {
    notAcceptable(() => negotiateMetadata('*/*, application/dicom+json;q=0, application/json;q=0'));
  });
});

describe('negotiateFrames and negotiateBulkdata', () => {
  it.each([
    [undefined, false, { multipart: true, type: 'application/octet-stream', transferSyntax: ELE }],
    ['*/*', false, { multipart: true, type: 'application/octet-stream', transferSyntax: ELE }],
    [
      'multipart/related; type="application/octet-stream"',
      false,
      { multipart: true, type: 'application/octet-stream', transferSyntax: ELE },
    ],
    [
      'multipart/related; type="application/octet-stream"; transfer-syntax=*',
      false,
      { multipart: true, type: 'application/octet-stream', transferSyntax: '*' },
    ],
    [
      'multipart/related; type="image/jpeg"',
      false,
      { multipart: true, type: 'image/jpeg', transferSyntax: JPEG_LOSSLESS_SV1 },
    ],
    [
      `multipart/related; type="image/jpeg"; transfer-syntax=${JPEG_BASELINE}`,
      false,
      { multipart: true, type: 'image/jpeg', transferSyntax: JPEG_BASELINE },
    ],
    ['multipart/related; type=image/jls', false, { multipart: true, type: 'image/jls', transferSyntax: JLS }],
    [
      'multipart/related; type="image/jp2"; transfer-syntax=*',
      false,
      { multipart: true, type: 'image/jp2', transferSyntax: '*' },
    ],
    ['application/octet-stream', true, { multipart: false, type: 'application/octet-stream', transferSyntax: ELE }],
    ['image/jls', true, { multipart: false, type: 'image/jls', transferSyntax: JLS }],
  ] as const)('with Accept %p (single part allowed: %p) select %p', (accept, singlePart, expected) => {
    const selected = negotiateFrames(accept, { singlePart });
    expect({ multipart: selected.multipart, type: selected.type, transferSyntax: selected.transferSyntax }).toEqual(
      expected,
    );
  });

  it('ignores single part media types when several items are returned', () => {
    notAcceptable(() => negotiateFrames('application/octet-stream'));
    notAcceptable(() => negotiateFrames('image/jpeg'));
  });

  it('answers 406 for a transfer syntax the media type cannot carry (PS3.18 Table 8.7.3-4)', () => {
    notAcceptable(() => negotiateFrames(`multipart/related; type="image/jpeg"; transfer-syntax=${J2K}`));
    notAcceptable(() =>
      negotiateFrames(`multipart/related; type="application/octet-stream"; transfer-syntax=${JPEG_BASELINE}`),
    );
  });

  it('answers 406 for an unknown part type', () => {
    notAcceptable(() => negotiateBulkdata('multipart/related; type="image/bmp"'));
  });

  it('lists every acceptable representation for choosing per frame, best first', () => {
    const selected = negotiateFrames(
      'multipart/related; type="application/octet-stream"; transfer-syntax=*, multipart/related; type="image/jls"; q=0.9, multipart/related; type="application/octet-stream"; q=0.5',
    );
    expect(selected.acceptable.map((r) => `${r.type} ${r.transferSyntax}`)).toEqual([
      'application/octet-stream *',
      `image/jls ${JLS}`,
      `application/octet-stream ${ELE}`,
    ]);
  });

  it('offers only the part types and transfer syntaxes the server produces', () => {
    const options = { types: ['application/octet-stream'], transferSyntaxes: [ELE] };
    notAcceptable(() => negotiateBulkdata('multipart/related; type="image/jls"', options));
    expect(negotiateBulkdata('multipart/related; type="image/jls", */*;q=0.1', options).type).toBe(
      'application/octet-stream',
    );
  });
});

describe('negotiateRendered', () => {
  it.each([
    [undefined, undefined, 'image/jpeg'],
    ['*/*', undefined, 'image/jpeg'],
    ['image/*', undefined, 'image/jpeg'],
    ['image/png', undefined, 'image/png'],
    ['image/webp, image/png;q=0.9', undefined, 'image/webp'],
    ['image/avif, image/webp;q=0.8, */*;q=0.5', undefined, 'image/webp'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', undefined, 'image/webp'],
    ['image/jpeg', 'image/png', 'image/png'],
    [undefined, 'image/gif', 'image/gif'],
    ['image/png', 'image/bmp', 'image/png'],
  ])('with Accept %p and accept=%p answer %p', (accept, acceptQuery, mediaType) => {
    expect(negotiateRendered(accept, acceptQuery === undefined ? {} : { acceptQuery }).mediaType).toBe(mediaType);
  });

  it('lets image/*;q=0 exclude what */* would give', () => {
    notAcceptable(() => negotiateRendered('*/*, image/*;q=0'));
  });

  it('offers the configured media types only, the first as default', () => {
    expect(negotiateRendered('*/*', { mediaTypes: ['image/png', 'image/jpeg'] }).mediaType).toBe('image/png');
    notAcceptable(() => negotiateRendered('image/webp', { mediaTypes: ['image/png', 'image/jpeg'] }));
  });

  it('answers 406 for types it does not render', () => {
    notAcceptable(() => negotiateRendered('application/pdf'));
    notAcceptable(() => negotiateRendered('video/mp4'));
  });
});
