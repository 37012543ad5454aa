import { routeOf } from './route-of';

describe('routeOf', () => {
  it.each([
    ['POST', '/studies', 'stow'],
    ['POST', '/studies/1.2.3', 'stow'],
    ['GET', '/studies', 'qido'],
    ['GET', '/series', 'qido'],
    ['GET', '/instances', 'qido'],
    ['GET', '/studies/1.2.3/series', 'qido'],
    ['GET', '/studies/1.2.3/instances', 'qido'],
    ['GET', '/studies/1.2.3/series/4.5/instances', 'qido'],
    ['GET', '/studies/1.2.3', 'wado'],
    ['HEAD', '/studies/1.2.3', 'wado'],
    ['GET', '/studies/1.2.3/metadata', 'wado'],
    ['GET', '/studies/1.2.3/series/4.5', 'wado'],
    ['GET', '/studies/1.2.3/series/4.5/metadata', 'wado'],
    ['GET', '/studies/1.2.3/series/4.5/instances/6.7', 'wado'],
    ['GET', '/studies/1.2.3/series/4.5/instances/6.7/frames/1,2', 'wado'],
    ['GET', '/studies/1.2.3/series/4.5/instances/6.7/bulkdata/7FE00010', 'wado'],
    ['GET', '/studies/1.2.3/rendered', 'render'],
    ['GET', '/studies/1.2.3/series/4.5/instances/6.7/frames/1/rendered', 'render'],
    ['GET', '/studies/1.2.3/series/4.5/thumbnail', 'render'],
    ['POST', '/workitems', 'worklist'],
    ['GET', '/workitems/1.2.3', 'worklist'],
    ['PUT', '/workitems/1.2.3/state', 'worklist'],
    ['POST', '/workitems/1.2.3/cancelrequest', 'worklist'],
    ['GET', '/studies/1.2.3/priors', 'worklist'],
    ['POST', '/extended-query-tags', 'qido'],
    ['GET', '/extended-query-tags/00101002', 'qido'],
    ['DELETE', '/extended-query-tags/00101002', 'qido'],
  ])('sends %s %s to %s', (method, path, upstream) => {
    expect(routeOf(method, path)).toBe(upstream);
  });

  it.each([
    ['DELETE', '/studies/1.2.3'],
    ['POST', '/studies/1.2.3/series'],
    ['PUT', '/studies'],
  ])('routes %s %s nowhere', (method, path) => {
    expect(routeOf(method, path)).toBeUndefined();
  });
});
