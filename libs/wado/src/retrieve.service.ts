import { DicomwebError, multipartRelated, type InstancesRepresentation, type OutgoingPart } from '@pacs/dicomweb';
import { findInstances, type IndexDatabase, type InstanceLocator, type StoredInstance } from '@pacs/index';
import { BLOB_STORE, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { BlobNotFoundError, type BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { storageError } from './blob-byte-reader';
import { transcodedKey } from './derived-keys';
import {
  boundaryOf,
  entityTag,
  ifNoneMatchMatches,
  immutableCacheControl,
  revalidateCacheControl,
} from './http-caching';
import { InstanceCatalog, type CatalogEntry } from './instance-catalog';
import { fingerprintOf } from './metadata-document';
import { multipartLength } from './multipart-length';
import { planInstance, prefersOriginal, type InstancePlan } from './plan-representation';
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
  /** Present when the plan needed the instance's details (transcoding). */
  entry?: CatalogEntry;
}

type InstanceAt = InstanceLocator & { seriesUid: string; sopUid: string };

/**
 * WADO-RS instance retrieval (PS3.18 §10.4.1.1.1): study, series and instance as multipart/related of
 * application/dicom (or a single application/dicom for an instance). Originals are streamed bit for bit from
 * the blob store; an instance whose transfer syntax the client does not accept is re-encoded on the fly
 * (transcode-instance.ts) when we can, and the request fails with 406 before anything is sent when we
 * cannot. Re-encodings that transcode pixel data are kept in the blob store for the next request.
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

    // Details (one index query for all) only when some instance is not sent as its original.
    const details = instances.every((i) => prefersOriginal(i.transferSyntaxUid, acceptable))
      ? undefined
      : level === 'instance'
        ? new Map([[instances[0]!.sopUid, await this.catalog.instance(locator as InstanceAt)]])
        : await this.catalog.many(locator);
    const planned = instances.map((instance) => this.plan(instance, acceptable, details?.get(instance.sopUid)));

    const etag = entityTag(['instances', fingerprintOf(instances), JSON.stringify(acceptable)]);
    const headers: Record<string, string> = {
      ETag: etag,
      // An instance never changes; a study or series gains instances.
      'Cache-Control': level === 'instance' ? immutableCacheControl : revalidateCacheControl,
    };
    if (ifNoneMatchMatches(ifNoneMatch, etag)) return notModified(headers);

    const first = planned[0]!;
    if (level === 'instance' && !first.plan.multipart) {
      const body = await this.body(first);
      if (first.plan.kind === 'original') headers['Content-Length'] = String(first.instance.size);
      return { contentType: `application/dicom; transfer-syntax=${first.plan.transferSyntaxUid}`, headers, body };
    }

    const partHeaders = (p: Planned): Record<string, string> => ({
      'Content-Type': `application/dicom; transfer-syntax=${p.plan.transferSyntaxUid}`,
      'Content-Location': instanceUrl(p.instance),
      ...(p.plan.kind === 'original' ? { 'Content-Length': String(p.instance.size) } : {}),
    });
    // The first part is opened before the response starts: a missing object or a failing re-encoding of a
    // single instance is an error status, not a cut body.
    const firstBody = await this.body(first);
    const bodyOf = (p: Planned) => this.body(p);
    async function* parts(): AsyncGenerator<OutgoingPart> {
      for (let k = 0; k < planned.length; k++) {
        const p = planned[k]!;
        yield { headers: partHeaders(p), body: k === 0 ? firstBody : await bodyOf(p) };
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
    if (planned.every((p) => p.plan.kind === 'original')) {
      headers['Content-Length'] = String(
        multipartLength(
          boundary,
          planned.map((p) => ({ headers: partHeaders(p), length: p.instance.size })),
        ),
      );
    }
    return { contentType, headers, body: stream };
  }

  private plan(
    instance: StoredInstance,
    acceptable: readonly InstancesRepresentation[],
    entry: CatalogEntry | undefined,
  ): Planned {
    if (prefersOriginal(instance.transferSyntaxUid, acceptable)) {
      const rep = acceptable[0]!;
      return {
        instance,
        plan: { kind: 'original', multipart: rep.multipart, transferSyntaxUid: instance.transferSyntaxUid },
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
    return { instance, plan, entry };
  }

  /** The bytes of one instance in its plan's transfer syntax. */
  private async body(p: Planned): Promise<Readable> {
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
    const reader = await this.bytes.reader(entry.stored);
    const pixel = entry.pixel;
    const pm = entry.pixelModule;
    const from = entry.instance.transferSyntaxUid;
    const written = await transcodeInstance({
      dataset: entry.dataset,
      storedTransferSyntaxUid: from,
      targetTransferSyntaxUid: plan.transferSyntaxUid,
      pixels: plan.pixels,
      pixel,
      bulk: entry.bulk,
      reader,
      pixelModule: pm,
      encodeFrame: async (n) => {
        const frame = pixel!.frames[n - 1]!;
        return transcodeFrame(from, await reader.read(frame.ranges), pm!, plan.transferSyntaxUid, frame.bitOffset ?? 0);
      },
    });
    if (!cacheable) return written;
    return teeToBlob(
      written,
      (copy) => this.blobs.put(cacheKey, copy, { contentType: 'application/dicom' }),
      (error) => this.logger.warn({ err: String(error) }, 'storing a transcoded instance failed'),
    );
  }
}
