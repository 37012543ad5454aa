import { attachCoercion } from '@pacs/auth';
import { isValidUid } from '@pacs/dicom';
import {
  DicomwebError,
  dicomwebUrls,
  negotiateBulkdata,
  negotiateFrames,
  negotiateInstances,
  negotiateMetadata,
  parseFrameList,
} from '@pacs/dicomweb';
import type { InstanceLocator, StoredInstance } from '@pacs/index';
import { RequestContext } from '@pacs/runtime';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BulkdataService } from './bulkdata.service';
import { chooseContentCoding } from './content-coding';
import { FramesService } from './frames.service';
import { varyWith } from './http-caching';
import { MetadataService, type MetadataRequest } from './metadata.service';
import { RetrieveService, type RetrieveLevel } from './retrieve.service';
import type { WadoResponse } from './wado-response';

type Params = Record<string, string>;
type InstanceAt = InstanceLocator & { seriesUid: string; sopUid: string };
const acceptQuery = (req: FastifyRequest) => (req.query as Record<string, string | string[] | undefined>).accept;

/** WADO-RS (PS3.18 §10.4): instances, metadata, frames and bulk data of a study, series or instance. */
@Controller('dicomweb/studies/:study')
export class WadoController {
  constructor(
    private readonly retrieve: RetrieveService,
    private readonly metadataService: MetadataService,
    private readonly framesService: FramesService,
    private readonly bulkdataService: BulkdataService,
    private readonly context: RequestContext,
  ) {}

  @Get()
  study(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.instances('study', p, req, reply);
  }

  @Get('series/:series')
  series(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.instances('series', p, req, reply);
  }

  @Get('series/:series/instances/:instance')
  instance(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.instances('instance', p, req, reply);
  }

  @Get('metadata')
  async studyMetadata(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const request = this.metadataRequest(req);
    await send(req, reply, await this.metadataService.study(this.locator(req, p), request), [
      'Accept',
      'Accept-Encoding',
    ]);
  }

  @Get('series/:series/metadata')
  async seriesMetadata(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const request = this.metadataRequest(req);
    const locator = this.locator(req, p) as InstanceLocator & { seriesUid: string };
    await send(req, reply, await this.metadataService.series(locator, request), ['Accept', 'Accept-Encoding']);
  }

  @Get('series/:series/instances/:instance/metadata')
  async instanceMetadata(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const request = this.metadataRequest(req);
    const locator = this.locator(req, p) as InstanceAt;
    await send(req, reply, await this.metadataService.instance(locator, request), ['Accept', 'Accept-Encoding']);
  }

  @Get('series/:series/instances/:instance/frames/:frames')
  async frames(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const frameNumbers = parseFrameList(p.frames!);
    const locator = this.locator(req, p) as InstanceAt;
    const { acceptable } = negotiateFrames(req.headers.accept, {
      acceptQuery: acceptQuery(req),
      singlePart: frameNumbers.length === 1,
    });
    const response = await this.framesService.frames(locator, frameNumbers, acceptable, req.headers['if-none-match']);
    await send(req, reply, response, ['Accept']);
  }

  @Get('series/:series/instances/:instance/bulkdata/*')
  async bulkdata(@Param() p: Params, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const path = p['*'] ?? '';
    if (!/^[0-9A-Fa-f]{8}(\/\d+\/[0-9A-Fa-f]{8})*$/.test(path))
      throw new DicomwebError('BadRequest', 'The bulk data path is malformed');
    const locator = this.locator(req, p) as InstanceAt;
    const { acceptable } = negotiateBulkdata(req.headers.accept, { acceptQuery: acceptQuery(req), singlePart: true });
    const response = await this.bulkdataService.bulkdata(locator, path.toUpperCase(), {
      acceptable,
      range: req.headers.range,
      ifNoneMatch: req.headers['if-none-match'],
    });
    await send(req, reply, response, ['Accept', 'Range']);
  }

  private async instances(level: RetrieveLevel, p: Params, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const locator = this.locator(req, p);
    const { acceptable } = negotiateInstances(req.headers.accept, { resource: level, acceptQuery: acceptQuery(req) });
    const urls = dicomwebUrls(this.context.of(req).baseUrl);
    const instanceUrl = (i: StoredInstance) => urls.instance(i.studyUid, i.seriesUid, i.sopUid);
    const response = await this.retrieve.retrieve(
      level,
      locator,
      acceptable,
      instanceUrl,
      req.headers['if-none-match'],
    );
    await send(req, reply, response, ['Accept']);
  }

  private metadataRequest(req: FastifyRequest): MetadataRequest {
    const { mediaType } = negotiateMetadata(req.headers.accept, { acceptQuery: acceptQuery(req) });
    return {
      mediaType,
      baseUrl: this.context.of(req).baseUrl,
      coding: chooseContentCoding(req.headers['accept-encoding']),
      ifNoneMatch: req.headers['if-none-match'],
    };
  }

  private locator(req: FastifyRequest, p: Params): InstanceLocator {
    for (const [name, value] of Object.entries(p)) {
      if ((name === 'study' || name === 'series' || name === 'instance') && !isValidUid(value)) {
        throw new DicomwebError('BadRequest', `The ${name} UID in the path is not a valid UID (PS3.5 §9.1)`);
      }
    }
    return {
      partitionId: this.context.of(req).partitionId,
      studyUid: p.study!,
      seriesUid: p.series,
      sopUid: p.instance,
    };
  }
}

async function send(
  req: FastifyRequest,
  reply: FastifyReply,
  response: WadoResponse,
  vary: readonly string[],
): Promise<void> {
  // The access's audit record (written when the response ends) names what the body sent changed (HEAD sends
  // no body, so nothing).
  if (response.coercion && req.method !== 'HEAD') attachCoercion(req, response.coercion);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  reply.header('Vary', varyWith(reply.getHeader('vary'), vary));
  reply.code(response.status ?? 200);
  if (response.contentType) reply.type(response.contentType);
  await reply.send(response.body);
}
