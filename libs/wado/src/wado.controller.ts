import { isValidUid } from '@pacs/dicom';
import {
  DicomwebError,
  dicomwebUrls,
  negotiateBulkdata,
  negotiateFrames,
  negotiateInstances,
  negotiateMetadata,
} from '@pacs/dicomweb';
import type { InstanceLocator, StoredInstance } from '@pacs/index';
import { RequestContext } from '@pacs/runtime';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RetrieveService, type StreamedResponse } from './retrieve.service';

type Level = 'study' | 'series' | 'instance';
const acceptQuery = (req: FastifyRequest) => (req.query as Record<string, string | string[] | undefined>).accept;

/** WADO-RS (PS3.18 §10.4): instances, metadata, frames and bulk data of a study, series or instance. */
@Controller('dicomweb/studies/:study')
export class WadoController {
  constructor(
    private readonly retrieve: RetrieveService,
    private readonly context: RequestContext,
  ) {}

  @Get()
  study(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.instances('study', p, req, reply);
  }

  @Get('series/:series')
  series(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.instances('series', p, req, reply);
  }

  @Get('series/:series/instances/:instance')
  instance(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.instances('instance', p, req, reply);
  }

  @Get('metadata')
  studyMetadata(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.metadata(p, req, reply);
  }

  @Get('series/:series/metadata')
  seriesMetadata(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.metadata(p, req, reply);
  }

  @Get('series/:series/instances/:instance/metadata')
  instanceMetadata(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.metadata(p, req, reply);
  }

  @Get('series/:series/instances/:instance/frames/:frames')
  async frames(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const frameNumbers = parseFrameList(p.frames!);
    const representation = negotiateFrames(req.headers.accept, {
      acceptQuery: acceptQuery(req),
      singlePart: frameNumbers.length === 1,
    });
    const response = await this.retrieve.frames(this.locator(req, p), frameNumbers, representation);
    await send(reply, response);
  }

  @Get('series/:series/instances/:instance/bulkdata/*')
  async bulkdata(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    negotiateBulkdata(req.headers.accept, { acceptQuery: acceptQuery(req), singlePart: true });
    const path = p['*'] ?? '';
    if (!/^[0-9A-Fa-f]{8}(\/\d+\/[0-9A-Fa-f]{8})*$/.test(path))
      throw new DicomwebError('BadRequest', 'The bulk data path is malformed');
    await send(reply, await this.retrieve.bulkdata(this.locator(req, p), path.toUpperCase()));
  }

  private async instances(
    level: Level,
    p: Record<string, string>,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const locator = this.locator(req, p);
    const negotiated = negotiateInstances(req.headers.accept, { resource: level, acceptQuery: acceptQuery(req) });
    const instances = await this.retrieve.instances(locator);
    // Without transcoding, the originals are sent when the client accepts their transfer syntax ('*' or the stored one).
    const asStored = (i: StoredInstance) =>
      negotiated.acceptable.find((r) => r.transferSyntax === '*' || r.transferSyntax === i.transferSyntaxUid);
    const choices = instances.map(asStored);
    const refused = instances.find((_, n) => choices[n] === undefined);
    if (refused) {
      throw new DicomwebError(
        'NotAcceptable',
        `An instance is stored as ${refused.transferSyntaxUid}; conversion to the requested transfer syntax is not available (ask for transfer-syntax=*)`,
      );
    }
    const urls = dicomwebUrls(this.context.of(req).baseUrl);
    const instanceUrl = (i: StoredInstance) => urls.instance(i.studyUid, i.seriesUid, i.sopUid);
    const single = level === 'instance' && choices[0]?.multipart === false;
    const response = single
      ? await this.retrieve.instanceBody(instances[0]!)
      : this.retrieve.instancesBody(instances, instanceUrl);
    await send(reply, response);
  }

  private async metadata(p: Record<string, string>, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { mediaType } = negotiateMetadata(req.headers.accept, { acceptQuery: acceptQuery(req) });
    const urls = dicomwebUrls(this.context.of(req).baseUrl);
    const body = await this.retrieve.metadata(this.locator(req, p), (i) =>
      urls.instance(i.studyUid, i.seriesUid, i.sopUid),
    );
    await reply.code(200).type(mediaType).send(body);
  }

  private locator(req: FastifyRequest, p: Record<string, string>): InstanceLocator {
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

/** '1,3,5' → [1, 3, 5] (PS3.18 §10.4.1.1.4: a comma-separated list of frame numbers, the first frame is 1). */
export function parseFrameList(text: string): number[] {
  const frames = text.split(',').map((s) => (/^\d{1,9}$/.test(s.trim()) ? Number(s.trim()) : NaN));
  if (frames.length === 0 || frames.length > 10_000 || frames.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new DicomwebError('BadRequest', 'The frame list must be comma-separated frame numbers starting at 1');
  }
  return frames;
}

async function send(reply: FastifyReply, response: StreamedResponse): Promise<void> {
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
  await reply.code(200).type(response.contentType).send(response.stream);
}
