import type { Config } from '@pacs/config';
import { resolveBaseUrl } from '@pacs/dicomweb';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONFIG } from './tokens';

export interface RequestScope {
  /** The partition (tenant) the request acts in; 1 is the default partition. */
  partitionId: number;
  /** The absolute DICOMweb root URL as the client sees it (for RetrieveURL, BulkDataURI). */
  baseUrl: string;
}

/** What a handler needs to know about the request beyond its parameters. */
@Injectable()
export class RequestContext {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

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
    return { partitionId: 1, baseUrl };
  }
}
