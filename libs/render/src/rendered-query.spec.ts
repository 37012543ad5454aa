import { DicomwebError } from '@pacs/dicomweb';
import { parseRenderedQuery, parseThumbnailQuery, parseViewport, parseWindow } from './rendered-query';

const badRequest = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DicomwebError);
    expect((error as DicomwebError).code).toBe('BadRequest');
    return (error as DicomwebError).message;
  }
  throw new Error('no error');
};

describe('parseWindow (PS3.18 §8.3.5.1.4)', () => {
  it.each([
    ['40,400', { center: 40, width: 400, function: 'LINEAR' }],
    ['40,400,LINEAR', { center: 40, width: 400, function: 'LINEAR' }],
    ['-600.5,1500,linear-exact', { center: -600.5, width: 1500, function: 'LINEAR_EXACT' }],
    [' 40 , 0.5 , SIGMOID ', { center: 40, width: 0.5, function: 'SIGMOID' }],
    ['1e3,2E2,linear_exact', { center: 1000, width: 200, function: 'LINEAR_EXACT' }],
  ])('reads %s', (text, expected) => {
    expect(parseWindow(text)).toEqual(expected);
  });

  it.each([
    '',
    '40',
    '40,',
    'a,400',
    '40,400,linear,x',
    '40,400,cubic',
    '40,0.5',
    '40,0,SIGMOID',
    '40,-1,LINEAR_EXACT',
  ])('refuses %j', (text) => {
    badRequest(() => parseWindow(text));
  });
});

describe('parseViewport (PS3.18 §8.3.5.1.3)', () => {
  it.each([
    ['512,512', { width: 512, height: 512 }],
    ['256,128,10,20,100,50', { width: 256, height: 128, sx: 10, sy: 20, sw: 100, sh: 50 }],
    ['256,128,,,-100,', { width: 256, height: 128, sw: -100 }],
  ])('reads %s', (text, expected) => {
    expect(parseViewport(text)).toEqual(expected);
  });

  it.each([
    '512',
    '512,512,0',
    '512,512,0,0,1',
    '0,512',
    '512,-1',
    '1.5,2',
    '9000,10',
    '8000,8000',
    '10,10,-1,0,5,5',
    '10,10,0,0,0,5',
  ])('refuses %j', (text) => {
    badRequest(() => parseViewport(text));
  });
});

describe('parseRenderedQuery', () => {
  it('reads every rendering parameter and ignores the others', () => {
    expect(
      parseRenderedQuery({
        window: '40,400',
        viewport: '64,64',
        quality: '75',
        iccprofile: 'sRGB',
        annotation: 'patient, technique',
        charset: 'utf-8',
        accept: 'image/png',
        other: 'x',
      }),
    ).toEqual({
      window: { center: 40, width: 400, function: 'LINEAR' },
      viewport: { width: 64, height: 64 },
      quality: 75,
      iccProfile: 'srgb',
      annotation: ['patient', 'technique'],
    });
    expect(parseRenderedQuery({})).toEqual({ annotation: [] });
  });

  it.each([
    { quality: '0' },
    { quality: '101' },
    { quality: '7.5' },
    { iccprofile: 'cmyk' },
    { window: ['1,2', '3,4'] },
  ])('refuses %j', (query) => {
    badRequest(() => parseRenderedQuery(query));
  });

  it('says which parameter was repeated', () => {
    expect(badRequest(() => parseRenderedQuery({ viewport: ['1,1', '2,2'] }))).toContain('viewport');
  });
});

describe('parseThumbnailQuery', () => {
  it('reads viewport only: rendering parameters are the server’s choice for a thumbnail', () => {
    expect(parseThumbnailQuery({ viewport: '64,32', window: 'nonsense', quality: '0' })).toEqual({
      viewport: { width: 64, height: 32 },
    });
    expect(parseThumbnailQuery({})).toEqual({});
  });
});
