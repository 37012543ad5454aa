import { dicomwebResourceOf } from './dicomweb-resource';

describe('dicomwebResourceOf', () => {
  it.each([
    ['GET', '/dicomweb/studies?PatientName=DOE*', 'search', '/dicomweb/studies', {}],
    ['GET', '/dicomweb/series', 'search', '/dicomweb/series', {}],
    ['GET', '/dicomweb/studies/1.2/series', 'search', '/dicomweb/studies/:study/series', { study: '1.2' }],
    [
      'GET',
      '/dicomweb/studies/1.2/series/3.4/instances',
      'search',
      '/dicomweb/studies/:study/series/:series/instances',
      { study: '1.2', series: '3.4' },
    ],
    ['POST', '/dicomweb/studies', 'store', '/dicomweb/studies', {}],
    ['POST', '/dicomweb/studies/1.2', 'store', '/dicomweb/studies/:study', { study: '1.2' }],
    ['GET', '/dicomweb/studies/1.2', 'retrieve', '/dicomweb/studies/:study', { study: '1.2' }],
    ['GET', '/dicomweb/studies/1.2/metadata', 'retrieve', '/dicomweb/studies/:study/metadata', { study: '1.2' }],
    [
      'GET',
      '/dicomweb/studies/1.2/series/3.4/instances/5.6/frames/1,2/rendered',
      'retrieve',
      '/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames/rendered',
      { study: '1.2', series: '3.4', instance: '5.6' },
    ],
    [
      'GET',
      '/dicomweb/studies/1.2/series/3.4/instances/5.6/bulkdata/7FE00010',
      'retrieve',
      '/dicomweb/studies/:study/series/:series/instances/:instance/bulkdata/*',
      { study: '1.2', series: '3.4', instance: '5.6' },
    ],
    ['DELETE', '/dicomweb/studies/1.2', 'delete', '/dicomweb/studies/:study', { study: '1.2' }],
    ['GET', '/dicomweb/workitems?limit=5', 'search', '/dicomweb/workitems', {}],
    ['PUT', '/dicomweb/workitems/1.2/state', 'update', '/dicomweb/workitems/:workitem/state', { workitem: '1.2' }],
    [
      'GET',
      '/dicomweb/studies/1.2/whatever-a-client-sends',
      'retrieve',
      '/dicomweb/studies/:study/*',
      { study: '1.2' },
    ],
    ['GET', '/dicomweb/nonsense/1', 'other', '/dicomweb/*', {}],
  ])('reads %s %s as %s on %s', (method, path, action, route, uids) => {
    expect(dicomwebResourceOf(method, path)).toEqual({ action, route, ...uids });
  });

  it('ignores paths outside the DICOMweb root', () => {
    expect(dicomwebResourceOf('GET', '/healthz')).toBeUndefined();
    expect(dicomwebResourceOf('GET', '/dicomwebx/studies')).toBeUndefined();
  });
});
