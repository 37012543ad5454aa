import { summarizeRequests, templateResource, withoutBoundary, type LoggedRequest } from './request-log.ts';

const request = (url: string, extra: Partial<LoggedRequest> = {}): LoggedRequest => ({
  method: 'GET',
  url,
  startedAt: 0,
  endedAt: 10,
  accept: 'application/dicom+json',
  authorization: undefined,
  status: 200,
  contentType: 'application/dicom+json',
  responseBytes: 100,
  failure: undefined,
  ...extra,
});

describe('templateResource', () => {
  it('replaces UIDs in the path and in query values, below the DICOMweb root', () => {
    expect(
      templateResource(
        'http://h:1/dicomweb/studies/1.2.3/series/2.25.99/instances/1.2.4/frames/1?includefield=00081030%2C00080060',
        '/dicomweb',
      ),
    ).toBe('/studies/{uid}/series/{uid}/instances/{uid}/frames/1?includefield=00081030,00080060');
    expect(templateResource('http://h/dicomweb/studies?StudyInstanceUID=1.2.3&limit=101', '/dicomweb')).toBe(
      '/studies?StudyInstanceUID={uid}&limit=101',
    );
  });

  it('keeps values that are not UIDs', () => {
    expect(templateResource('http://h/dicomweb/studies?00100020=PACS-1&viewport=256%2C256', '/dicomweb')).toBe(
      '/studies?00100020=PACS-1&viewport=256,256',
    );
  });
});

describe('withoutBoundary', () => {
  it('drops the boundary parameter and keeps the others', () => {
    expect(withoutBoundary('multipart/related; type="application/octet-stream"; boundary=abc-123')).toBe(
      'multipart/related; type="application/octet-stream"',
    );
    expect(withoutBoundary('image/jpeg')).toBe('image/jpeg');
  });
});

describe('summarizeRequests', () => {
  it('groups by method, templated resource and Accept, in order of first use, with counts and statuses', () => {
    const frames = (uid: string, status: number) =>
      request(`http://h/dicomweb/studies/1.2/series/1.3/instances/${uid}/frames/1`, {
        accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*',
        contentType: `multipart/related; type="application/octet-stream"; boundary=${uid}`,
        status,
        endedAt: status === 200 ? 30 : 50,
        responseBytes: 500,
        authorization: 'Bearer t',
      });
    const kinds = summarizeRequests(
      [request('http://h/dicomweb/studies?limit=1'), frames('1.4', 200), frames('1.5', 200), frames('1.6', 404)],
      'http://h/dicomweb',
    );
    expect(kinds).toEqual([
      expect.objectContaining({ method: 'GET', resource: '/studies?limit=1', count: 1, statuses: [200] }),
      expect.objectContaining({
        resource: '/studies/{uid}/series/{uid}/instances/{uid}/frames/1',
        accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*',
        count: 3,
        statuses: [200, 404],
        contentTypes: ['multipart/related; type="application/octet-stream"'],
        withAuthorization: 3,
        medianMillis: 30,
        totalBytes: 1500,
      }),
    ]);
  });
});
