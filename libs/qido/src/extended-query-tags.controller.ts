import { DicomwebError } from '@pacs/dicomweb';
import {
  addExtendedQueryTags,
  deleteExtendedQueryTag,
  ExtendedQueryTagError,
  getExtendedQueryTag,
  listExtendedQueryTags,
  type ExtendedQueryTag,
  type IndexDatabase,
} from '@pacs/index';
import { INDEX_DATABASE, RequestContext } from '@pacs/runtime';
import { Controller, Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExtendedQueryTagCatalog } from './extended-query-tag-catalog';
import { ExtendedQueryTagReindexer } from './extended-query-tag-reindexer';
import { attributeOfPath, parseExtendedQueryTags } from './parse-extended-query-tags';

/** A declared tag as the resource shows it. */
function representation(tag: ExtendedQueryTag, baseUrl: string) {
  return {
    path: tag.tag,
    keyword: tag.keyword,
    vr: tag.vr,
    level: tag.level,
    status: tag.status,
    percent: tag.percent,
    done: tag.done,
    total: tag.total,
    createdAt: tag.createdAt,
    updatedAt: tag.updatedAt,
    url: `${baseUrl}/extended-query-tags/${tag.tag}`,
  };
}

const errorOf = (error: unknown): unknown =>
  error instanceof ExtendedQueryTagError
    ? new DicomwebError(
        error.kind === 'conflict' ? 'Conflict' : error.kind === 'not-found' ? 'NotFound' : 'BadRequest',
        error.message,
      )
    : error;

/**
 * Extended query tags (an administration resource; the gateway lets only administrators reach it): declare
 * attributes to be indexed for QIDO-RS matching beyond the built-in keys, follow their re-indexing, remove
 * them. See docs/conformance.md, "Extended query tags".
 */
@Controller('dicomweb/extended-query-tags')
export class ExtendedQueryTagsController {
  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    private readonly context: RequestContext,
    private readonly catalog: ExtendedQueryTagCatalog,
    private readonly reindexer: ExtendedQueryTagReindexer,
  ) {}

  /** 202: the tags are declared and re-indexing has started; each is matchable once its status is 'ready'. */
  @Post()
  async add(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const definitions = parseExtendedQueryTags(req.body);
    const added = await addExtendedQueryTags(this.db.sql, definitions).catch((e: unknown) =>
      Promise.reject(errorOf(e)),
    );
    this.catalog.invalidate();
    this.reindexer.poke();
    const { baseUrl } = this.context.of(req);
    await reply
      .code(202)
      .header('Location', `${baseUrl}/extended-query-tags`)
      .type('application/json')
      .send(JSON.stringify(added.map((t) => representation(t, baseUrl))));
  }

  @Get()
  async list(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { baseUrl } = this.context.of(req);
    const tags = await listExtendedQueryTags(this.db.sql);
    await reply.type('application/json').send(JSON.stringify(tags.map((t) => representation(t, baseUrl))));
  }

  @Get(':path')
  async one(@Param('path') path: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const tag = await getExtendedQueryTag(this.db.sql, attributeOfPath(path).tag);
    if (!tag) throw new DicomwebError('NotFound', `${path} is not an extended query tag`);
    await reply.type('application/json').send(JSON.stringify(representation(tag, this.context.of(req).baseUrl)));
  }

  /** 204: the tag is no longer matchable and its indexed values are gone (the stored data sets keep it). */
  @Delete(':path')
  async remove(@Param('path') path: string, @Res() reply: FastifyReply): Promise<void> {
    if (!(await deleteExtendedQueryTag(this.db.sql, attributeOfPath(path).tag))) {
      throw new DicomwebError('NotFound', `${path} is not an extended query tag`);
    }
    this.catalog.invalidate();
    await reply.code(204).send();
  }
}
