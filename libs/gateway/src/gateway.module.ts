import type { Config } from '@pacs/config';
import { DicomwebError } from '@pacs/dicomweb';
import { CONFIG, type Feature } from '@pacs/runtime';
import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { proxy } from './proxy';
import { routeOf, type Upstream } from './route-of';

/** The single HTTP entry of cluster mode: every /dicomweb request is streamed to the service that owns it. */
@Injectable()
export class GatewayRoutes implements OnModuleInit {
  private readonly upstreams: Record<Upstream, string>;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.upstreams = {
      stow: config.PACS_STOW_URL,
      qido: config.PACS_QIDO_URL,
      wado: config.PACS_WADO_URL,
      render: config.PACS_RENDER_URL,
      worklist: config.PACS_WORKLIST_URL,
    };
  }

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Every body passes through as it came. The process-wide parsers read DICOM JSON bodies (UPS-RS create and
    // update) before the handler runs, which would leave the proxy nothing to send and the service waiting for
    // Content-Length bytes: the gateway's route lives in a scope of its own that parses no body at all.
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      scope.route({
        method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
        url: '/dicomweb/*',
        handler: async (request, reply) => {
          const path = request.url.slice('/dicomweb'.length).split('?')[0]!;
          const upstream = routeOf(request.method, path);
          if (!upstream) throw new DicomwebError('NotFound', 'No DICOMweb resource at this path');
          const base = this.upstreams[upstream];
          if (!base) throw new DicomwebError('NotImplemented', `This deployment has no ${upstream} service`);
          await proxy(request, reply, new URL(base));
        },
      });
    });
  }
}

@Module({ providers: [GatewayRoutes] })
export class GatewayModule {}

/** The gateway: routing (and, with auth on, authentication) in front of the services. */
export const GatewayFeature: Feature = { module: GatewayModule, requires: [] };
