/** The service a DICOMweb request goes to in cluster mode. */
export type Upstream = 'stow' | 'qido' | 'wado' | 'render' | 'worklist';

const uid = '[^/]+';
/** QIDO-RS search resources (PS3.18 §10.6.1): /studies, /series, /instances, at the root and under a study / series. */
const search = new RegExp(
  `^/(studies|series|instances)$|^/studies/${uid}/(series|instances)$|^/studies/${uid}/series/${uid}/instances$`,
);
/** Rendered and thumbnail resources (PS3.18 §10.4.1.1.2, §10.4.1.1.5) at any level. */
const rendered = /\/(rendered|thumbnail)$/;

/**
 * Routes by method and the path below /dicomweb (one table, in the order of PS3.18 §10–11): STOW-RS is a POST to
 * /studies[/{study}]; searches go to the index; rendered resources to render (when it runs apart); every
 * other GET / HEAD of a study, series or instance resource is a WADO-RS retrieve.
 */
export function routeOf(method: string, path: string): Upstream | undefined {
  // Extended query tags: the index owner's administrative resource.
  if (path === '/extended-query-tags' || path.startsWith('/extended-query-tags/')) return 'qido';
  // UPS-RS (PS3.18 §11) and the priors extension: every method, to the worklist (the hl7 service).
  if (path === '/workitems' || path.startsWith('/workitems/') || /^\/studies\/[^/]+\/priors$/.test(path))
    return 'worklist';
  if (method === 'POST') return /^\/studies(\/[^/]+)?$/.test(path) ? 'stow' : undefined;
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (search.test(path)) return 'qido';
  if (rendered.test(path)) return 'render';
  if (path.startsWith('/studies/')) return 'wado';
  return undefined;
}
