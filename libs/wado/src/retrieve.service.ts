import { replaceTopLevelElements, transferSyntaxOf, type DicomJsonDataset } from '@pacs/dicom';
import { DicomwebError, multipartRelated, type InstancesRepresentation, type OutgoingPart } from '@pacs/dicomweb';
import {
  findInstances,
  findPatientRecord,
  type IndexDatabase,
  type InstanceLocator,
  type PatientRecord,
  type StoredInstance,
} from '@pacs/index';
import { BLOB_STORE, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { BlobNotFoundError, type BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { storageError } from './blob-byte-reader';
import { transcodedKey } from './derived-keys';
import { boundaryOf, entityTag, ifNoneMatchMatches, revalidateCacheControl } from './http-caching';
import { InstanceCatalog, type CatalogEntry } from './instance-catalog';
import { fingerprintOf } from './metadata-document';
import { multipartLength } from './multipart-length';
import { coercePatientModule, coercionFacts, patientVersionOf, type PatientCoercion } from './patient-coercion';
import { planInstance, prefersOriginal, type InstancePlan, type PixelRewrite } from './plan-representation';
import { StoredBytes } from './stored-bytes';
import { teeToBlob } from './tee-to-blob';
import { transcodeFrame } from './transcode-frame';
import { transcodeInstance } from './transcode-instance';
import { releaseWith } from './release-with';
import { notModified, type WadoResponse } from './wado-response';

export type RetrieveLevel = 'study' | 'series' | 'instance';

interface Planned {
  instance: StoredInstance;
  plan: InstancePlan;
  /** The instance's details (absent only when it was deleted while planned and is sent as stored). */
  entry?: CatalogEntry;
  /** Patient module values replaced on the way (the patient's current record differs from the stored one). */
  coercion?: PatientCoercion;
}

/** How many parts of a multipart retrieve are opened ahead of the one being sent. */
const partsAhead = 4;

/** Sent as the stored bytes, bit for bit: the length is known before reading them. */
const sendsOriginal = (p: Planned): boolean => p.plan.kind === 'original' && !p.coercion;

type InstanceAt = InstanceLocator & { seriesUid: string; sopUid: string };

/**
 * WADO-RS instance retrieval (PS3.18 §10.4.1.1.1): study, series and instance as multipart/related of
 * application/dicom (or a single application/dicom for an instance). Originals are streamed bit for bit from
 * the blob store; an instance whose transfer syntax the client does not accept is re-encoded on the fly
 * (transcode-instance.ts) when we can, and the request fails with 406 before anything is sent when we
 * cannot. Re-encodings that transcode pixel data are kept in the blob store for the next request.
 * An instance whose Patient module differs from its patient's current record (HL7 ADT updates and merges)
 * is sent with the record's values (patient-coercion.ts): its top-level Patient module elements are replaced
 * as the bytes stream past (replaceTopLevelElements), everything else is copied; the stored original is never
 * changed, and the access's audit record names what was replaced.
 */
@Injectable()
export class RetrieveService {
  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly catalog: InstanceCatalog,
    private readonly bytes: StoredBytes,
  ) {}

  async retrieve(
    level: RetrieveLevel,
    locator: InstanceLocator,
    acceptable: readonly InstancesRepresentation[],
    instanceUrl: (i: StoredInstance) => string,
    ifNoneMatch: string | string[] | undefined,
  ): Promise<WadoResponse> {
    const instances =
      level === 'instance'
        ? [(await this.catalog.instance(locator as InstanceAt)).instance]
        : await findInstances(this.db.sql, locator);
    if (instances.length === 0) throw new DicomwebError('NotFound', `No such ${level} in this archive`);

    // The stored data sets (cached lookups; one index query when missing) and the patient's current record
    // tell which instances are sent with replaced Patient module values.
    const entries = await this.catalog.entriesOf(locator, instances);
    const record = await findPatientRecord(this.db.sql, locator);
    const planned = instances.map((instance) => this.plan(instance, acceptable, entries.get(instance.sopUid), record));
    const coerced = planned.flatMap((p) =>
      p.coercion ? [{ seriesUid: p.instance.seriesUid, sopUid: p.instance.sopUid, tags: p.coercion.tags }] : [],
    );

    const etag = entityTag([
      'instances',
      fingerprintOf(instances),
      JSON.stringify(acceptable),
      // Replaced values are the record's: another version of the record, other bytes.
      ...(coerced.length > 0 ? ['patient', patientVersionOf(record)] : []),
    ]);
    const headers: Record<string, string> = {
      ETag: etag,
      // A stored instance never changes, but what is sent of it does when its patient's record changes; a study
      // or series also gains instances. Clients keep the bytes and revalidate (304 while nothing changed).
      'Cache-Control': revalidateCacheControl,
    };
    if (ifNoneMatchMatches(ifNoneMatch, etag)) return notModified(headers);
    const coercion = record && coerced.length > 0 ? coercionFacts(record, locator.studyUid, coerced) : undefined;

    const first = planned[0]!;
    if (level === 'instance' && !first.plan.multipart) {
      const body = await this.body(first);
      if (sendsOriginal(first)) headers['Content-Length'] = String(first.instance.size);
      return {
        contentType: `application/dicom; transfer-syntax=${first.plan.transferSyntaxUid}`,
        headers,
        body,
        ...(coercion ? { coercion } : {}),
      };
    }

    const partHeaders = (p: Planned): Record<string, string> => ({
      'Content-Type': `application/dicom; transfer-syntax=${p.plan.transferSyntaxUid}`,
      'Content-Location': instanceUrl(p.instance),
      ...(sendsOriginal(p) ? { 'Content-Length': String(p.instance.size) } : {}),
    });
    // The first part is opened before the response starts: a missing object or a failing re-encoding of a
    // single instance is an error status, not a cut body.
    const firstBody = await this.body(first);
    const bodyOf = (p: Planned) => this.body(p);
    // The next parts are opened while this one is sent (partsAhead of them, each reading at most one chunk
    // ahead): a series of small instances is otherwise one open (and cache lookup) after another between the
    // parts, with the connection idle.
    async function* parts(): AsyncGenerator<OutgoingPart> {
      const ahead: Promise<Readable>[] = [];
      let opened = 1;
      const openMore = () => {
        while (ahead.length < partsAhead && opened < planned.length) {
          // read(0) has it fill its buffer (one chunk) now, so the bytes are there when its turn comes.
          const body = bodyOf(planned[opened++]!).then((b) => {
            b.read(0);
            return b;
          });
          body.catch(() => {}); // awaited (and its error thrown) at its turn
          ahead.push(body);
        }
      };
      try {
        for (let k = 0; k < planned.length; k++) {
          const body = k === 0 ? firstBody : await ahead.shift()!;
          openMore();
          yield { headers: partHeaders(planned[k]!), body };
        }
      } finally {
        // Cut short (the client went away, or a part failed): the parts opened ahead are released.
        for (const body of ahead)
          body.then(
            (b) => b.destroy(),
            () => {},
          );
      }
    }
    const boundary = boundaryOf(etag);
    const syntaxes = new Set(planned.map((p) => p.plan.transferSyntaxUid));
    const { contentType, stream } = multipartRelated(parts(), {
      type: 'application/dicom',
      ...(syntaxes.size === 1 ? { params: { 'transfer-syntax': [...syntaxes][0]! } } : {}),
      boundary,
    });
    releaseWith(stream, firstBody);
    if (planned.every(sendsOriginal)) {
      headers['Content-Length'] = String(
        multipartLength(
          boundary,
          planned.map((p) => ({ headers: partHeaders(p), length: p.instance.size })),
        ),
      );
    }
    return { contentType, headers, body: stream, ...(coercion ? { coercion } : {}) };
  }

  private plan(
    instance: StoredInstance,
    acceptable: readonly InstancesRepresentation[],
    entry: CatalogEntry | undefined,
    record: PatientRecord | undefined,
  ): Planned {
    const coercion = entry && record ? entry.patientCoercion(record) : undefined;
    const extra = { ...(entry ? { entry } : {}), ...(coercion ? { coercion } : {}) };
    if (prefersOriginal(instance.transferSyntaxUid, acceptable)) {
      const rep = acceptable[0]!;
      return {
        instance,
        plan: { kind: 'original', multipart: rep.multipart, transferSyntaxUid: instance.transferSyntaxUid },
        ...extra,
      };
    }
    if (!entry) throw new DicomwebError('NotFound', 'An instance of this resource was removed while it was retrieved');
    const plan = planInstance(
      { transferSyntaxUid: instance.transferSyntaxUid, pixel: entry.pixel, pixelModule: entry.pixelModule },
      acceptable,
    );
    if (!plan) {
      throw new DicomwebError(
        'NotAcceptable',
        `An instance is stored as ${instance.transferSyntaxUid} and cannot be converted to any requested transfer syntax (ask for transfer-syntax=* to get it as stored)`,
      );
    }
    return { instance, plan, ...extra };
  }

  /** The bytes of one instance in its plan's transfer syntax, with the current patient record applied. */
  private async body(p: Planned): Promise<Readable> {
    const coercion = p.coercion;
    if (!coercion) return this.stored(p);
    // A deflated data set cannot be edited in place, and a character set change needs every text value
    // written again: the instance is then written anew from its data set (pixel data still copied).
    if (coercion.recode || transferSyntaxOf(p.plan.transferSyntaxUid)?.deflated) return this.rewritten(p, coercion);
    return replaceTopLevelElements(await this.stored(p), coercion.elements);
  }

  /** The instance written again from its data set with the coercion applied, in the plan's transfer syntax. */
  private rewritten(p: Planned, coercion: PatientCoercion): Promise<Readable> {
    const plan = p.plan;
    return this.encode(
      p.entry!,
      coercePatientModule(p.entry!.dataset, coercion),
      plan.transferSyntaxUid,
      plan.kind === 'original' ? 'copy' : plan.pixels,
    );
  }

  /** An instance written from `dataset` in `target`, its pixel data as `pixels` says (transcode-instance.ts). */
  private async encode(
    entry: CatalogEntry,
    dataset: DicomJsonDataset,
    target: string,
    pixels: PixelRewrite,
  ): Promise<Readable> {
    const reader = await this.bytes.reader(entry.stored);
    const pixel = entry.pixel;
    const pm = entry.pixelModule;
    const from = entry.instance.transferSyntaxUid;
    return transcodeInstance({
      dataset,
      storedTransferSyntaxUid: from,
      targetTransferSyntaxUid: target,
      pixels,
      pixel,
      bulk: entry.bulk,
      reader,
      pixelModule: pm,
      encodeFrame: async (n) => {
        const frame = pixel!.frames[n - 1]!;
        return transcodeFrame(from, await reader.read(frame.ranges), pm!, target, frame.bitOffset ?? 0);
      },
    });
  }

  /** The bytes of one instance in its plan's transfer syntax, as stored (the original, or its re-encoding). */
  private async stored(p: Planned): Promise<Readable> {
    if (p.plan.kind === 'original') {
      try {
        return await this.blobs.get(p.instance.blobKey);
      } catch (error) {
        throw storageError(p.instance.blobKey, error);
      }
    }
    const entry = p.entry!;
    const plan = p.plan;
    const cacheKey = transcodedKey(entry.stored, plan.transferSyntaxUid);
    const cacheable = plan.pixels === 'frames';
    if (cacheable) {
      try {
        return await this.blobs.get(cacheKey);
      } catch (error) {
        if (!(error instanceof BlobNotFoundError)) {
          this.logger.warn({ err: String(error) }, 'reading a transcoded instance failed; transcoding again');
        }
      }
    }
    const written = await this.encode(entry, entry.dataset, plan.transferSyntaxUid, plan.pixels);
    if (!cacheable) return written;
    return teeToBlob(
      written,
      (copy) => this.blobs.put(cacheKey, copy, { contentType: 'application/dicom' }),
      (error) => this.logger.warn({ err: String(error) }, 'storing a transcoded instance failed'),
    );
  }
}
