import { anonymousPrincipal, AuthError, bearerChallenge, principalOf, type Principal } from '@pacs/auth';
import type { Config } from '@pacs/config';
import { resolveBaseUrl } from '@pacs/dicomweb';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONFIG } from './tokens';

export interface RequestScope {
  /** The partition (tenant) the request acts in: the caller's (its token's partition claim); 1 is the default. */
  partitionId: number;
  /** The absolute DICOMweb root URL as the client sees it (for RetrieveURL, BulkDataURI). */
  baseUrl: string;
  /** Who is calling: the token's subject, client and scopes; the anonymous principal when authentication is off. */
  principal: Principal;
}

/** What a handler needs to know about the request beyond its parameters. */
@Injectable()
export class RequestContext {
  private readonly authenticated: boolean;

  constructor(@Inject(CONFIG) private readonly config: Config) {
    this.authenticated = config.PACS_AUTH_MODE !== 'none';
  }

  of(request: FastifyRequest): RequestScope {
    const baseUrl = resolveBaseUrl(
      {
        headers: request.headers,
        remoteAddress: request.socket.remoteAddress ?? '',
        protocol: request.protocol === 'https' ? 'https' : 'http',
        host: request.headers.host,
      },
      {
        publicBaseUrl: this.config.PACS_PUBLIC_BASE_URL,
        trustedProxies: this.config.PACS_TRUSTED_PROXIES,
        mountPath: '/dicomweb',
      },
    );
    const principal = this.principalOf(request);
    return { partitionId: principal.partitionId, baseUrl, principal };
  }

  /** Fails closed: with authentication on, a request the authentication hook did not pass has no scope at all. */
  private principalOf(request: FastifyRequest): Principal {
    const principal = principalOf(request);
    if (principal) return principal;
    if (!this.authenticated) return anonymousPrincipal;
    throw new AuthError('Unauthorized', 'The request needs a bearer access token', bearerChallenge());
  }
}
