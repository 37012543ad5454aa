import { isValidUid } from '@pacs/dicom';
import { DicomwebError, parseFrameList } from '@pacs/dicomweb';
import { RequestContext } from '@pacs/runtime';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { parseRenderedQuery, parseThumbnailQuery, type QueryValues } from './rendered-query';
import { RenderService, type RenderedResponse, type RenderTarget } from './render.service';

type PathParams = Record<string, string>;

/**
 * Rendered resources (PS3.18 §10.4.1.1.2) and thumbnails (§10.4.1.1.5) of a study, series, instance or frames:
 * one route table, two handlers.
 */
@Controller('dicomweb/studies/:study')
export class RenderController {
  constructor(
    private readonly render: RenderService,
    private readonly context: RequestContext,
  ) {}

  @Get('rendered')
  studyRendered(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.rendered(p, req, reply);
  }

  @Get('series/:series/rendered')
  seriesRendered(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.rendered(p, req, reply);
  }

  @Get('series/:series/instances/:instance/rendered')
  instanceRendered(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.rendered(p, req, reply);
  }

  @Get('series/:series/instances/:instance/frames/:frames/rendered')
  framesRendered(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.rendered(p, req, reply);
  }

  @Get('thumbnail')
  studyThumbnail(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.thumbnail(p, req, reply);
  }

  @Get('series/:series/thumbnail')
  seriesThumbnail(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.thumbnail(p, req, reply);
  }

  @Get('series/:series/instances/:instance/thumbnail')
  instanceThumbnail(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.thumbnail(p, req, reply);
  }

  @Get('series/:series/instances/:instance/frames/:frames/thumbnail')
  framesThumbnail(@Param() p: PathParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.thumbnail(p, req, reply);
  }

  private async rendered(p: PathParams, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = (req.query ?? {}) as QueryValues;
    const target = this.target(req, p);
    const rendered = parseRenderedQuery(query);
    const { baseUrl } = this.context.of(req);
    const response = await this.render.rendered(target, rendered, {
      accept: req.headers.accept,
      acceptQuery: acceptQueryOf(query),
      baseUrl,
    });
    await send(reply, response);
  }

  private async thumbnail(p: PathParams, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = (req.query ?? {}) as QueryValues;
    const target = this.target(req, p);
    const { viewport } = parseThumbnailQuery(query);
    const response = await this.render.thumbnail(target, viewport, {
      accept: req.headers.accept,
      acceptQuery: acceptQueryOf(query),
    });
    await send(reply, response);
  }

  private target(req: FastifyRequest, p: PathParams): RenderTarget {
    for (const name of ['study', 'series', 'instance'] as const) {
      const value = p[name];
      if (value !== undefined && !isValidUid(value)) {
        throw new DicomwebError('BadRequest', `The ${name} UID in the path is not a valid UID (PS3.5 §9.1)`);
      }
    }
    return {
      partitionId: this.context.of(req).partitionId,
      studyUid: p.study!,
      ...(p.series === undefined ? {} : { seriesUid: p.series }),
      ...(p.instance === undefined ? {} : { sopUid: p.instance }),
      ...(p.frames === undefined ? {} : { frames: parseFrameList(p.frames) }),
    };
  }
}

/** PS3.18 §8.3.3.1: the accept query parameter; repeated, its values form one list. */
function acceptQueryOf(query: QueryValues): string | readonly string[] | undefined {
  const value = query.accept;
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new DicomwebError('BadRequest', 'The accept query parameter is malformed');
}

async function send(reply: FastifyReply, response: RenderedResponse): Promise<void> {
  // The representation depends on Accept (RFC 9110 §12.5.5).
  reply.header('Vary', 'Accept');
  await reply.code(200).type(response.contentType).send(response.body);
}
