import { Scope } from './principal';

/**
 * The scope a request needs (docs/architecture.md, "Security"): reads (GET, HEAD) need dicomweb.read; a change
 * needs dicomweb.write; administrative resources and deleting stored studies need dicomweb.admin.
 */
export function requiredScope(method: string, path: string): Scope {
  const bare = path.split('?', 1)[0]!;
  if (bare === '/admin' || bare.startsWith('/admin/') || bare.startsWith('/dicomweb/admin')) return Scope.Admin;
  // Extended query tags change what the whole archive indexes (docs/conformance.md, "QIDO-RS").
  if (bare === '/dicomweb/extended-query-tags' || bare.startsWith('/dicomweb/extended-query-tags/')) return Scope.Admin;
  if (method === 'GET' || method === 'HEAD') return Scope.Read;
  if (method === 'DELETE' && bare.startsWith('/dicomweb/studies')) return Scope.Admin;
  return Scope.Write;
}
