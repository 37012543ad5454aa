// What a DICOMweb request does and to which resource, from its method and path alone: the audit trail names the
// action and the UIDs, metrics and spans name the route template (never the path: its UIDs are unbounded, and
// a label per study would both leak identifiers and explode the metric series).

/** The kinds of access the audit trail tells apart. */
export const AccessAction = {
  /** QIDO-RS and UPS-RS searches (PS3.18 §10.6, §11.9). */
  Search: 'search',
  /** WADO-RS retrieve: instances, metadata, frames, bulk data, rendered, thumbnails (PS3.18 §10.4). */
  Retrieve: 'retrieve',
  /** STOW-RS (PS3.18 §10.5). */
  Store: 'store',
  /** Changes that are not a store: UPS-RS create, update, state changes (PS3.18 §11). */
  Update: 'update',
  Delete: 'delete',
  /** Anything else under the DICOMweb root (e.g. a path that names no resource). */
  Other: 'other',
} as const;
export type AccessAction = (typeof AccessAction)[keyof typeof AccessAction];

export interface DicomwebResource {
  action: AccessAction;
  /** The route template, e.g. /dicomweb/studies/:study/series/:series/metadata. */
  route: string;
  study?: string;
  series?: string;
  instance?: string;
  workitem?: string;
}

/** Words that end a study, series, instance or frame resource (PS3.18 §10.4.1; priors of the worklist). */
const leafResources = new Set(['metadata', 'rendered', 'thumbnail', 'pixeldata', 'priors']);
/** Words below a workitem (PS3.18 §11.7–§11.11). */
const workitemResources = new Set(['state', 'cancelrequest', 'subscribers', 'suspend']);

/**
 * Reads a path below the DICOMweb root `mount`: the resource hierarchy of PS3.18 §10
 * (studies/{study}/series/{series}/instances/{instance}, then frames/{frames}, bulkdata/…, metadata, rendered,
 * thumbnail) and UPS-RS workitems (§11). A collection without its UID is a search. Undefined when the path is
 * not below the mount.
 */
export function dicomwebResourceOf(
  method: string,
  pathWithQuery: string,
  mount = '/dicomweb',
): DicomwebResource | undefined {
  const q = pathWithQuery.indexOf('?');
  const path = q < 0 ? pathWithQuery : pathWithQuery.slice(0, q);
  if (path !== mount && !path.startsWith(`${mount}/`)) return undefined;
  const segments = path.slice(mount.length + 1).split('/');
  const read = method === 'GET' || method === 'HEAD';
  const out: DicomwebResource = { action: AccessAction.Other, route: mount };
  const template = [mount];
  let i = 0;
  /** literal, then its UID when there is one: false when the literal is not next. */
  const take = (literal: string, param: 'study' | 'series' | 'instance' | 'workitem'): boolean => {
    if (segments[i] !== literal) return false;
    template.push(literal);
    i++;
    if (segments[i]) {
      out[param] = segments[i]!;
      template.push(`:${param}`);
      i++;
    }
    return true;
  };

  if (take('workitems', 'workitem')) {
    for (const s of segments.slice(i)) template.push(workitemResources.has(s) ? s : ':param');
    out.route = template.join('/');
    out.action = read
      ? out.workitem === undefined
        ? AccessAction.Search
        : AccessAction.Retrieve
      : method === 'DELETE'
        ? AccessAction.Delete
        : AccessAction.Update;
    return out;
  }

  let collection = false;
  for (const [literal, param] of [
    ['studies', 'study'],
    ['series', 'series'],
    ['instances', 'instance'],
  ] as const) {
    if (i < segments.length && take(literal, param) && out[param] === undefined) {
      collection = true;
      break;
    }
  }
  if (template.length === 1) {
    out.route = `${mount}/*`;
    return out;
  }
  const rest = collection ? [] : segments.slice(i);
  if (rest[0] === 'frames') {
    template.push(
      'frames',
      ...(rest[1] ? [':frames'] : []),
      ...rest.slice(2).map((s) => (leafResources.has(s) ? s : '*')),
    );
  } else if (rest[0] === 'bulkdata') {
    template.push('bulkdata', '*');
  } else if (rest.length > 0) {
    template.push(...rest.map((s) => (leafResources.has(s) ? s : '*')));
  }
  out.route = template.join('/');
  const stow = method === 'POST' && (out.route === `${mount}/studies` || out.route === `${mount}/studies/:study`);
  out.action = read
    ? collection
      ? AccessAction.Search
      : AccessAction.Retrieve
    : stow
      ? AccessAction.Store
      : method === 'DELETE'
        ? AccessAction.Delete
        : AccessAction.Update;
  return out;
}
