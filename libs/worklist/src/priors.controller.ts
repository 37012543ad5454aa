import { Tag } from '@pacs/dicom';
import { DicomwebError, dicomwebUrls, formatWarning, isUid, negotiateQido, WarningText } from '@pacs/dicomweb';
import { type IndexDatabase } from '@pacs/index';
import { INDEX_DATABASE, RequestContext } from '@pacs/runtime';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findPriors, studyContext } from './find-priors';

type Query = Record<string, string | string[] | undefined>;

const bad = (message: string): DicomwebError => new DicomwebError('BadRequest', message);

/** Default and largest number of priors per response. */
const defaultLimit = 20;
const maxLimit = 200;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    if (value.length > 1) throw bad(`Query parameter "${name}" is given more than once`);
    return value[0];
  }
  return value;
}

/** `same` (the current study's values), a comma list of values, or absent (no filter). */
function filterOf(query: Query, name: string, current: readonly string[]): string[] | undefined {
  const value = single(query, name)?.trim();
  if (value === undefined || value === '') return undefined;
  if (value.toLowerCase() === 'same') return [...current];
  const values = value.split(',').map((v) => v.trim());
  if (values.some((v) => !/^[\w -]{1,64}$/.test(v))) throw bad(`"${name}" is "same" or a comma list of values`);
  return values;
}

function integer(query: Query, name: string, fallback: number, min: number): number {
  const value = single(query, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < min)
    throw bad(`"${name}" must be an integer of at least ${min}`);
  return Number(value);
}

const parameters = new Set(['modality', 'bodypart', 'limit', 'offset', 'accept']);

/**
 * Priors of a study — an extension resource, not part of PS3.18:
 *
 *   GET /dicomweb/studies/{study}/priors{?modality,bodypart,limit,offset}
 *
 * The other studies of the same patient (Patient ID and Issuer of Patient ID, PS3.3 C.7.1.1) that were
 * performed before this one (studies without a date included), newest first, as QIDO-RS study results
 * (application/dicom+json, with RetrieveURL). `modality=same` keeps studies sharing a modality with this
 * one (or `modality=CT,MR`), `bodypart=same` those with a series of the same Body Part Examined (or
 * `bodypart=CHEST`). 404 when the index has no such study. Read only, from the index.
 */
@Controller('dicomweb/studies/:study/priors')
export class PriorsController {
  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    private readonly context: RequestContext,
  ) {}

  @Get()
  async priors(
    @Param('study') study: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const query = request.query as Query;
    for (const key of Object.keys(query)) {
      if (!parameters.has(key.toLowerCase())) throw bad(`Unknown query parameter "${key.slice(0, 64)}" of priors`);
    }
    const { mediaType } = negotiateQido(request.headers.accept, { acceptQuery: query.accept });
    if (!isUid(study)) throw bad(`"${study.slice(0, 70)}" is not a valid Study Instance UID`);
    const { partitionId, baseUrl } = this.context.of(request);
    const current = await studyContext(this.db.sql, partitionId, study);
    if (!current) throw new DicomwebError('NotFound', 'The study is not in the index');
    const limit = Math.min(integer(query, 'limit', defaultLimit, 1), maxLimit);
    const result = await findPriors(this.db.sql, {
      partitionId,
      patientId: current.patientId,
      issuer: current.issuer,
      excludeStudyUid: study,
      beforeStudyUid: study,
      modalities: filterOf(query, 'modality', current.modalities),
      bodyParts: filterOf(query, 'bodypart', current.bodyParts),
      limit,
      offset: integer(query, 'offset', 0, 0),
    });
    const urls = dicomwebUrls(baseUrl);
    const body = result.studies.map((s) => ({
      ...s.dataset,
      [Tag.RetrieveURL]: { vr: 'UR', Value: [urls.study(s.studyUid)] },
    }));
    if (result.more) reply.header('Warning', formatWarning(WarningText.additionalResults));
    await reply
      .code(200)
      .type(mediaType)
      .send(Buffer.from(JSON.stringify(body)));
  }
}
