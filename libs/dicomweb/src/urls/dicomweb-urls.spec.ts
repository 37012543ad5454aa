import { dicomwebUrls } from './dicomweb-urls';

describe('dicomwebUrls', () => {
  const urls = dicomwebUrls('https://pacs.example.org/dicomweb/');

  it('builds the resource URLs of PS3.18 §10.4.1', () => {
    expect(urls.base).toBe('https://pacs.example.org/dicomweb');
    expect(urls.studies()).toBe('https://pacs.example.org/dicomweb/studies');
    expect(urls.study('1.2.3')).toBe('https://pacs.example.org/dicomweb/studies/1.2.3');
    expect(urls.series('1.2.3', '4.5')).toBe('https://pacs.example.org/dicomweb/studies/1.2.3/series/4.5');
    expect(urls.instance('1.2.3', '4.5', '6.7')).toBe(
      'https://pacs.example.org/dicomweb/studies/1.2.3/series/4.5/instances/6.7',
    );
    expect(urls.frames('1', '2', '3', [1, 3, 5])).toBe(
      'https://pacs.example.org/dicomweb/studies/1/series/2/instances/3/frames/1,3,5',
    );
  });

  it('builds metadata, rendered and thumbnail URLs at every level', () => {
    expect(urls.metadata('1')).toBe('https://pacs.example.org/dicomweb/studies/1/metadata');
    expect(urls.metadata('1', '2', '3')).toBe(
      'https://pacs.example.org/dicomweb/studies/1/series/2/instances/3/metadata',
    );
    expect(urls.rendered('1', '2')).toBe('https://pacs.example.org/dicomweb/studies/1/series/2/rendered');
    expect(urls.rendered('1', '2', '3', [2])).toBe(
      'https://pacs.example.org/dicomweb/studies/1/series/2/instances/3/frames/2/rendered',
    );
    expect(urls.thumbnail('1', '2', '3')).toBe(
      'https://pacs.example.org/dicomweb/studies/1/series/2/instances/3/thumbnail',
    );
  });

  it('builds bulkdata URLs from a path relative to the instance, encoding each segment', () => {
    expect(urls.bulkdata('1', '2', '3', '7FE00010')).toBe(
      'https://pacs.example.org/dicomweb/studies/1/series/2/instances/3/bulkdata/7FE00010',
    );
    expect(urls.bulkdata('1', '2', '3', '/00400275/0/0040A370/')).toBe(
      'https://pacs.example.org/dicomweb/studies/1/series/2/instances/3/bulkdata/00400275/0/0040A370',
    );
    expect(urls.bulkdata('1', '2', '3', 'a b?c')).toMatch(/bulkdata\/a%20b%3Fc$/);
  });

  it('encodes path segments, so a value cannot escape its place', () => {
    expect(urls.study('1/../x')).toBe('https://pacs.example.org/dicomweb/studies/1%2F..%2Fx');
  });

  it('refuses frame numbers below 1', () => {
    expect(() => urls.frames('1', '2', '3', [0])).toThrow(RangeError);
    expect(() => urls.frames('1', '2', '3', [])).toThrow(RangeError);
  });
});
