import { isValidUid } from '@pacs/dicom';
import { DicomwebError, formatWarning, negotiateQido, WarningText } from '@pacs/dicomweb';
import { RequestContext } from '@pacs/runtime';
import { Controller, Delete, Get, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readWorkitemPayload } from './workitem-rules';
import { WorklistService, type WorkitemOutcome } from './worklist.service';

type Query = Record<string, string | string[] | undefined>;

/** PS3.18 §11.1.3: workitems travel as application/dicom+json (application/json is accepted as the same). */
function requireJson(request: FastifyRequest, optional = false): void {
  const type = request.headers['content-type'];
  if (type === undefined && optional) return;
  if (!type || !/^application\/(dicom\+)?json\s*(;|$)/i.test(type)) {
    throw new DicomwebError(
      'UnsupportedMediaType',
      'A workitem is sent as application/dicom+json (PS3.18 §11.1.3); multipart/related XML is not supported',
    );
  }
}

function requireUid(value: string, what: string): string {
  if (!isValidUid(value)) throw new DicomwebError('BadRequest', `${what} "${value.slice(0, 70)}" is not a valid UID`);
  return value;
}

/**
 * A UID given as the bare query of the request (`?{uid}`, the form of PS3.18 §11.4.1 and §11.6.1) or as
 * one of the named parameters.
 */
function uidParameter(query: Query, names: readonly string[]): string | undefined {
  for (const [key, value] of Object.entries(query)) {
    if (names.includes(key.toLowerCase())) {
      const v = Array.isArray(value) ? value[0] : value;
      if (v) return v;
    }
  }
  const bare = Object.entries(query).filter(([key, value]) => value === '' && isValidUid(key));
  if (bare.length > 1) throw new DicomwebError('BadRequest', 'The request names more than one UID');
  return bare[0]?.[0];
}

const sendWarning = (reply: FastifyReply, outcome: WorkitemOutcome): void => {
  if (outcome.warning) reply.header('Warning', formatWarning(outcome.warning));
};

/**
 * UPS-RS, the Worklist Service (PS3.18 §11): Create, Retrieve, Update, Change State, Request Cancellation
 * and Search of workitems. Subscriptions (§11.10–§11.12) are not offered: 501.
 */
@Controller('dicomweb/workitems')
export class WorkitemsController {
  constructor(
    private readonly worklist: WorklistService,
    private readonly context: RequestContext,
  ) {}

  /** Create (PS3.18 §11.4): POST /workitems{?workitem} → 201 with Location. */
  @Post()
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireJson(request);
    const uid = uidParameter(request.query as Query, ['workitem']);
    const dataset = readWorkitemPayload(request.body);
    const { partitionId, baseUrl } = this.context.of(request);
    const outcome = await this.worklist.create(partitionId, uid && requireUid(uid, 'Workitem UID'), dataset);
    const location = `${baseUrl}/workitems/${encodeURIComponent(outcome.uid)}`;
    sendWarning(reply, outcome);
    await reply.code(201).header('Location', location).header('Content-Location', location).send();
  }

  /** Search (PS3.18 §11.9): 200, 204 when nothing matches, 206 when more matches exist (Table 11.9.3-1). */
  @Get()
  async search(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = request.query as Query;
    const { mediaType } = negotiateQido(request.headers.accept, { acceptQuery: query.accept });
    const { partitionId } = this.context.of(request);
    const result = await this.worklist.search(partitionId, query);
    const warnings = [...result.warnings];
    if (result.more) warnings.push(`${WarningText.additionalResults} (offset=${result.nextOffset})`);
    if (warnings.length > 0)
      reply.header(
        'Warning',
        warnings.map((w) => formatWarning(w)),
      );
    if (result.datasets.length === 0) {
      await reply.code(204).send();
      return;
    }
    await reply
      .code(result.more ? 206 : 200)
      .type(mediaType)
      .send(Buffer.from(JSON.stringify(result.datasets)));
  }

  /** Retrieve (PS3.18 §11.5): the workitem as a JSON array of one data set. */
  @Get(':workitem')
  async retrieve(
    @Param('workitem') workitem: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { mediaType } = negotiateQido(request.headers.accept, { acceptQuery: (request.query as Query).accept });
    const { partitionId } = this.context.of(request);
    const dataset = await this.worklist.retrieve(partitionId, requireUid(workitem, 'Workitem UID'));
    await reply
      .code(200)
      .type(mediaType)
      .send(Buffer.from(JSON.stringify([dataset])));
  }

  /** Update (PS3.18 §11.6): POST /workitems/{workitem}{?transaction-uid} → 200 without payload. */
  @Post(':workitem')
  async update(
    @Param('workitem') workitem: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    requireJson(request);
    const uid = requireUid(workitem, 'Workitem UID');
    const transactionUid = uidParameter(request.query as Query, ['transaction-uid', 'transactionuid', '00081195']);
    const dataset = readWorkitemPayload(request.body);
    const { partitionId, baseUrl } = this.context.of(request);
    const outcome = await this.worklist.update(partitionId, uid, dataset, transactionUid);
    sendWarning(reply, outcome);
    await reply
      .code(200)
      .header('Content-Location', `${baseUrl}/workitems/${encodeURIComponent(uid)}`)
      .send();
  }

  /** Change State (PS3.18 §11.7): PUT /workitems/{workitem}/state → 200 without payload. */
  @Put(':workitem/state')
  async changeState(
    @Param('workitem') workitem: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    requireJson(request);
    const uid = requireUid(workitem, 'Workitem UID');
    const { partitionId } = this.context.of(request);
    const outcome = await this.worklist.changeState(partitionId, uid, readWorkitemPayload(request.body));
    sendWarning(reply, outcome);
    await reply.code(200).send();
  }

  /** Request Cancellation (PS3.18 §11.8): POST /workitems/{workitem}/cancelrequest → 202. */
  @Post(':workitem/cancelrequest')
  async requestCancellation(
    @Param('workitem') workitem: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    requireJson(request, true);
    const uid = requireUid(workitem, 'Workitem UID');
    const { partitionId } = this.context.of(request);
    const dataset = readWorkitemPayload(request.body, { optional: true });
    const outcome = await this.worklist.requestCancellation(partitionId, uid, dataset);
    sendWarning(reply, outcome);
    await reply.code(202).send();
  }

  /** Subscribe / Unsubscribe / Suspend (PS3.18 §11.10–§11.12): not offered (no notification connection). */
  @Post(':workitem/subscribers/:aetitle')
  subscribe(): never {
    throw notOffered();
  }

  @Delete(':workitem/subscribers/:aetitle')
  unsubscribe(): never {
    throw notOffered();
  }

  @Post(':workitem/subscribers/:aetitle/suspend')
  suspend(): never {
    throw notOffered();
  }
}

const notOffered = (): DicomwebError =>
  new DicomwebError(
    'NotImplemented',
    'UPS-RS subscriptions and event notifications (PS3.18 §11.10–§11.12) are not offered; poll with Search',
  );
