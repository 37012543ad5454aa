import { Tag } from '@pacs/dicom';
import { dicomwebUrls, formatWarning, negotiateQido, type QidoLevel } from '@pacs/dicomweb';
import { RequestContext } from '@pacs/runtime';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SearchService } from './search.service';

type Query = Record<string, string | string[]>;

/** QIDO-RS (PS3.18 §10.6): search for studies, series and instances, at the root and under a study / series. */
@Controller('dicomweb')
export class QidoController {
  constructor(
    private readonly searchService: SearchService,
    private readonly context: RequestContext,
  ) {}

  @Get('studies')
  studies(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle(req, reply, 'study', {});
  }

  @Get('series')
  allSeries(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle(req, reply, 'series', {});
  }

  @Get('instances')
  allInstances(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle(req, reply, 'instance', {});
  }

  @Get('studies/:study/series')
  seriesOfStudy(@Param('study') study: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle(req, reply, 'series', { studyUid: study });
  }

  @Get('studies/:study/instances')
  instancesOfStudy(
    @Param('study') study: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.handle(req, reply, 'instance', { studyUid: study });
  }

  @Get('studies/:study/series/:series/instances')
  instancesOfSeries(
    @Param('study') study: string,
    @Param('series') series: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.handle(req, reply, 'instance', { studyUid: study, seriesUid: series });
  }

  private async handle(
    req: FastifyRequest,
    reply: FastifyReply,
    level: QidoLevel,
    scope: { studyUid?: string; seriesUid?: string },
  ): Promise<void> {
    const { mediaType } = negotiateQido(req.headers.accept, { acceptQuery: (req.query as Query).accept });
    const { partitionId, baseUrl } = this.context.of(req);
    const result = await this.searchService.search(level, req.query as Query, scope, partitionId);
    const urls = dicomwebUrls(baseUrl);
    const body = result.rows.map((row) => {
      const retrieveUrl =
        level === 'study'
          ? urls.study(row.studyUid)
          : level === 'series'
            ? urls.series(row.studyUid, row.seriesUid!)
            : urls.instance(row.studyUid, row.seriesUid!, row.sopUid!);
      return { ...row.dataset, [Tag.RetrieveURL]: { vr: 'UR', Value: [retrieveUrl] } };
    });
    const warnings = [...result.warnings];
    if (warnings.length > 0)
      reply.header(
        'Warning',
        warnings.map((w) => formatWarning(w)),
      );
    await reply
      .code(200)
      .type(mediaType)
      .send(Buffer.from(JSON.stringify(body)));
  }
}
