import { buildStowResponse, DicomwebError, dicomwebUrls, formatWarning } from '@pacs/dicomweb';
import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestContext } from '@pacs/runtime';
import { StoreInstancesService, type StoreResult } from './store-instances.service';

/** STOW-RS (PS3.18 §10.5): POST /studies and POST /studies/{study}. */
@Controller('dicomweb/studies')
export class StowController {
  constructor(
    private readonly service: StoreInstancesService,
    private readonly context: RequestContext,
  ) {}

  @Post()
  storeAny(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle(request, reply, undefined);
  }

  @Post(':study')
  storeInStudy(
    @Param('study') study: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.handle(request, reply, study);
  }

  private async handle(request: FastifyRequest, reply: FastifyReply, studyUid: string | undefined): Promise<void> {
    const contentType = request.headers['content-type'];
    if (!contentType || !/^multipart\/related\b/i.test(contentType)) {
      // PS3.18 §10.5.1.1: the request payload is multipart/related; type="application/dicom" here (the
      // metadata-and-bulk-data forms are not supported, see docs/conformance.md).
      throw new DicomwebError(
        'UnsupportedMediaType',
        'STOW-RS requires Content-Type: multipart/related; type="application/dicom"',
      );
    }
    const { partitionId, baseUrl } = this.context.of(request);
    const results = await this.service.store({
      body: request.raw,
      contentType,
      studyUid,
      partitionId,
      requestId: request.id,
    });
    const urls = dicomwebUrls(baseUrl);
    const stored = results.filter((r): r is Extract<StoreResult, { kind: 'stored' }> => r.kind === 'stored');
    const failed = results.filter((r): r is Extract<StoreResult, { kind: 'failed' }> => r.kind === 'failed');
    // PS3.18 §10.5.3.1: the Retrieve URL of the study, when what was stored belongs to one study.
    const studies = new Set(stored.map((r) => r.studyUid));
    const study = studyUid ?? (studies.size === 1 ? [...studies][0] : undefined);
    const body = buildStowResponse({
      retrieveUrl: study !== undefined ? urls.study(study) : undefined,
      referenced: stored.map((r) => ({
        sopClassUid: r.sopClassUid,
        sopInstanceUid: r.sopInstanceUid,
        retrieveUrl: urls.instance(r.studyUid, r.seriesUid, r.sopInstanceUid),
        warningReason: r.warningReason,
      })),
      failed: failed.map((r) => ({
        sopClassUid: r.sopClassUid,
        sopInstanceUid: r.sopInstanceUid,
        failureReason: r.failureReason,
      })),
    });
    // PS3.18 §10.5.3: 200 all stored; 202 some failed or accepted with warnings; 409 none stored.
    const pending = stored.some((r) => r.pending);
    const status = failed.length === 0 ? (pending ? 202 : 200) : stored.length > 0 ? 202 : 409;
    const warnings = [
      ...failed.map((r) => r.reason),
      ...(pending ? ['Some instances are stored but not searchable yet; they will be shortly'] : []),
    ];
    if (warnings.length > 0)
      reply.header(
        'Warning',
        [...new Set(warnings)].slice(0, 5).map((w) => formatWarning(w)),
      );
    await reply
      .code(status)
      .type('application/dicom+json')
      .send(Buffer.from(JSON.stringify(body)));
  }
}
