import { attachPrincipal, AuthError, type Authenticator } from '@pacs/auth';
import type { FastifyInstance } from 'fastify';

/** Routes any caller may reach: the orchestrator's probes and the metrics scrape (docs/architecture.md, "Security"). */
export const publicRoutes: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * With authentication on, every request but the public routes and CORS preflights (answered by the CORS hook
 * before this one runs) carries a valid bearer token with the scope of what it does; the principal is attached
 * to the request for RequestContext.of(request). Registered after routing, so an unknown path without a token
 * is a 401 too: nobody learns what exists without credentials.
 */
export function authenticateRequests(app: FastifyInstance, authenticator: Authenticator): void {
  if (!authenticator.enabled) return;
  app.addHook('onRequest', async (request, reply) => {
    if (publicRoutes.has(request.routeOptions.url ?? '')) return;
    try {
      attachPrincipal(
        request,
        await authenticator.authenticate(request.method, request.url, request.headers.authorization),
      );
    } catch (error) {
      if (error instanceof AuthError) {
        if (error.principal) attachPrincipal(request, error.principal);
        if (error.challenge) reply.header('WWW-Authenticate', error.challenge);
      }
      throw error;
    }
  });
}
