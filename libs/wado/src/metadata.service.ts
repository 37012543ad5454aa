import { DicomwebError } from '@pacs/dicomweb';
import {
  findInstanceDetails,
  findInstances,
  findPatientRecord,
  type IndexDatabase,
  type InstanceLocator,
  type PatientRecord,
  type StoredInstance,
  type StoredInstanceDetail,
} from '@pacs/index';
import { BLOB_STORE, INDEX_DATABASE, LOGGER, LruCache, type Logger } from '@pacs/runtime';
import { BlobNotFoundError, type BlobStore } from '@pacs/storage';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { byteBound } from './byte-bound';
import { ContentCoding, encodeBody, minimumCodedBytes } from './content-coding';
import { seriesMetadataKey, type SeriesRef } from './derived-keys';
import { entityTag, ifNoneMatchMatches, revalidateCacheControl } from './http-caching';
import { InstanceCatalog } from './instance-catalog';
import {
  arrayContent,
  buildMetadataDocument,
  fingerprintOf,
  instanceMetadataJson,
  instancePath,
  parseMetadataDocument,
  renderMetadata,
  rootRelativeJson,
  serializeMetadataDocument,
  studyFingerprintOf,
  type AppliedPatient,
  type MetadataDocument,
} from './metadata-document';
import { coercionFacts, patientVersionOf, type CoercedInstance } from './patient-coercion';
import { notModified, type WadoResponse } from './wado-response';

/** A metadata response body as sent: rendered for one base URL, in one content coding. */
interface RenderedMetadata {
  fingerprint: string;
  bytes: Buffer;
  coding: ContentCoding;
  /** The instances whose Patient module it shows changed (for the audit record of each response). */
  coerced: readonly CoercedInstance[];
}

/** What a response is made of, before it is rendered for a base URL. */
interface ProducedMetadata {
  body: string;
  fingerprint: string;
  coerced: readonly CoercedInstance[];
}

const applied = (record: PatientRecord | undefined): AppliedPatient | undefined =>
  record ? { version: patientVersionOf(record), record } : undefined;

/** How a metadata request is answered: the negotiated media type, the client's base URL, coding, validator. */
export interface MetadataRequest {
  mediaType: string;
  baseUrl: string;
  coding: ContentCoding;
  ifNoneMatch: string | string[] | undefined;
}

const seriesKey = (s: SeriesRef) => `${s.partitionId}/${s.studyUid}/${s.seriesUid}`;

/**
 * WADO-RS metadata (PS3.18 §10.4.1.1.2) from one precomputed document per series (metadata-document.ts),
 * kept in the blob store and maintained at ingest (WadoEventsConsumer). A request is answered from:
 *   1. the rendered response cache (memory: per base URL and content coding, already compressed),
 *   2. the series documents (memory, then the blob store: one read per series),
 *   3. the index, when the document is missing or stale — then the document is rebuilt and stored.
 * Each step is used only when its fingerprint equals the one the index gives now (the originals of the
 * series' instances, in order), so what is sent is never stale, even right after a STOW-RS answered and
 * before the document was rebuilt. The fingerprint also makes the ETag: If-None-Match costs one index query.
 */
@Injectable()
export class MetadataService implements OnApplicationBootstrap {
  private readonly documents = new LruCache<MetadataDocument>(
    byteBound(64 * 1024 * 1024, 10_000),
    (d) => 2 * d.body.length,
  );
  private readonly rendered = new LruCache<RenderedMetadata>(
    byteBound(64 * 1024 * 1024, 10_000),
    (r) => r.bytes.length,
  );
  private readonly building = new Map<string, Promise<MetadataDocument>>();

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly catalog: InstanceCatalog,
  ) {}

  /**
   * Runs the lookups of the metadata path once at start (they find nothing): the first viewer then does not
   * pay for the database's first planning of them (hundreds of milliseconds with the embedded PGlite).
   */
  async onApplicationBootstrap(): Promise<void> {
    const nothing = { partitionId: 0, studyUid: '0', seriesUid: '0' };
    await Promise.all([
      findInstances(this.db.sql, nothing),
      findInstanceDetails(this.db.sql, nothing),
      findPatientRecord(this.db.sql, nothing),
    ]).catch(
      () => undefined, // the index may not be migrated yet when this process does not own it
    );
  }

  async series(locator: InstanceLocator & { seriesUid: string }, request: MetadataRequest): Promise<WadoResponse> {
    const instances = await findInstances(this.db.sql, locator);
    if (instances.length === 0) throw new DicomwebError('NotFound', 'No such series in this archive');
    const record = await findPatientRecord(this.db.sql, locator);
    const ref: SeriesRef = {
      partitionId: locator.partitionId,
      studyUid: locator.studyUid,
      seriesUid: locator.seriesUid,
    };
    const fingerprint = fingerprintOf(instances, patientVersionOf(record));
    return this.respond(
      `series/${seriesKey(ref)}`,
      fingerprint,
      request,
      { record, studyUid: ref.studyUid },
      async () => {
        const doc = await this.document(ref, fingerprint, record);
        return { body: doc.body, fingerprint: doc.fingerprint, coerced: doc.coerced };
      },
    );
  }

  async study(locator: InstanceLocator, request: MetadataRequest): Promise<WadoResponse> {
    const instances = await findInstances(this.db.sql, {
      partitionId: locator.partitionId,
      studyUid: locator.studyUid,
    });
    if (instances.length === 0) throw new DicomwebError('NotFound', 'No such study in this archive');
    const record = await findPatientRecord(this.db.sql, locator);
    const groups = new Map<string, StoredInstance[]>();
    for (const i of instances) {
      const group = groups.get(i.seriesUid);
      if (group) group.push(i);
      else groups.set(i.seriesUid, [i]);
    }
    const series = [...groups].map(([seriesUid, members]) => ({
      ref: { partitionId: locator.partitionId, studyUid: locator.studyUid, seriesUid },
      fingerprint: fingerprintOf(members, patientVersionOf(record)),
    }));
    const fingerprint = studyFingerprintOf(series.map((s) => s.fingerprint));
    const patient = { record, studyUid: locator.studyUid };
    return this.respond(`study/${locator.partitionId}/${locator.studyUid}`, fingerprint, request, patient, async () => {
      const docs: MetadataDocument[] = [];
      for (const s of series) docs.push(await this.document(s.ref, s.fingerprint, record));
      return {
        body: `[${docs.map((d) => arrayContent(d.body)).join(',')}]`,
        fingerprint: studyFingerprintOf(docs.map((d) => d.fingerprint)),
        coerced: docs.flatMap((d) => d.coerced),
      };
    });
  }

  async instance(
    locator: InstanceLocator & { seriesUid: string; sopUid: string },
    request: MetadataRequest,
  ): Promise<WadoResponse> {
    const entry = await this.catalog.instance(locator);
    const i = entry.instance;
    const record = await findPatientRecord(this.db.sql, locator);
    const fingerprint = fingerprintOf([i], patientVersionOf(record));
    return this.respond(
      `instance/${locator.partitionId}/${i.studyUid}/${i.seriesUid}/${i.sopUid}`,
      fingerprint,
      request,
      { record, studyUid: i.studyUid },
      async () => {
        const { json, tags } = instanceMetadataJson(
          { datasetJson: i.datasetJson, dataset: entry.dataset },
          applied(record),
        );
        return {
          body: `[${rootRelativeJson(json, instancePath(i.studyUid, i.seriesUid, i.sopUid))}]`,
          fingerprint,
          coerced: tags ? [{ seriesUid: i.seriesUid, sopUid: i.sopUid, tags }] : [],
        };
      },
    );
  }

  /**
   * Builds a series' document from the index and stores it (ingest, after instance.indexed). Undefined when
   * the series has no instance any more (its document is then removed). Gives the details it read, for the
   * other work done at ingest.
   */
  async refreshSeries(ref: SeriesRef): Promise<{ doc?: MetadataDocument; details: StoredInstanceDetail[] }> {
    const details = await findInstanceDetails(this.db.sql, ref);
    const key = seriesKey(ref);
    if (details.length === 0) {
      this.documents.delete(key);
      await this.blobs.delete(seriesMetadataKey(ref));
      return { details };
    }
    const doc = buildMetadataDocument(details, applied(await findPatientRecord(this.db.sql, ref)));
    this.documents.set(key, doc);
    await this.persist(ref, doc);
    return { doc, details };
  }

  /** Forgets what is cached about a series and its study (instance.deleted). */
  evictSeries(ref: SeriesRef): void {
    this.documents.delete(seriesKey(ref));
    this.rendered.deletePrefix(`series/${seriesKey(ref)}|`);
    this.rendered.deletePrefix(`study/${ref.partitionId}/${ref.studyUid}|`);
    this.rendered.deletePrefix(`instance/${seriesKey(ref)}/`);
  }

  private async respond(
    cacheKey: string,
    fingerprint: string,
    request: MetadataRequest,
    { record, studyUid }: { record: PatientRecord | undefined; studyUid: string },
    produce: () => Promise<ProducedMetadata>,
  ): Promise<WadoResponse> {
    const etagOf = (fp: string) => entityTag(['metadata', fp, request.baseUrl, request.coding]);
    const validators = { 'Cache-Control': revalidateCacheControl };
    if (ifNoneMatchMatches(request.ifNoneMatch, etagOf(fingerprint))) {
      return notModified({ ...validators, ETag: etagOf(fingerprint) });
    }
    const key = `${cacheKey}|${request.baseUrl}|${request.coding}`;
    let hit = this.rendered.get(key);
    if (!hit || hit.fingerprint !== fingerprint) {
      const produced = await produce();
      const plain = Buffer.from(renderMetadata(produced.body, request.baseUrl), 'utf8');
      const coding = plain.length >= minimumCodedBytes ? request.coding : ContentCoding.Identity;
      hit = {
        fingerprint: produced.fingerprint,
        bytes: await encodeBody(plain, coding),
        coding,
        coerced: produced.coerced,
      };
      this.rendered.set(key, hit);
    }
    const coercion = record && hit.coerced.length > 0 ? coercionFacts(record, studyUid, hit.coerced) : undefined;
    return {
      ...(coercion ? { coercion } : {}),
      contentType: request.mediaType,
      headers: {
        ...validators,
        ETag: etagOf(hit.fingerprint),
        'Content-Length': String(hit.bytes.length),
        ...(hit.coding === ContentCoding.Identity ? {} : { 'Content-Encoding': hit.coding }),
      },
      body: hit.bytes,
    };
  }

  /** The series document whose fingerprint is `fingerprint`: from memory, the blob store, or built now. */
  private async document(
    ref: SeriesRef,
    fingerprint: string,
    record: PatientRecord | undefined,
  ): Promise<MetadataDocument> {
    const key = seriesKey(ref);
    const cached = this.documents.get(key);
    if (cached?.fingerprint === fingerprint) return cached;
    const stored = await this.readStored(ref);
    if (stored?.fingerprint === fingerprint) {
      this.documents.set(key, stored);
      return stored;
    }
    // One build at a time per series and record version: a request never waits for a document made for
    // another version of the patient's record.
    const buildKey = `${key}|${patientVersionOf(record)}`;
    let building = this.building.get(buildKey);
    if (!building) {
      building = (async () => {
        try {
          const details = await findInstanceDetails(this.db.sql, ref);
          if (details.length === 0) throw new DicomwebError('NotFound', 'No such series in this archive');
          const doc = buildMetadataDocument(details, applied(record));
          this.documents.set(key, doc);
          // Stored in the background: the response does not wait for the blob store.
          this.persist(ref, doc).catch((error: unknown) =>
            this.logger.warn({ err: String(error) }, 'storing a series metadata document failed'),
          );
          return doc;
        } finally {
          this.building.delete(buildKey);
        }
      })();
      this.building.set(buildKey, building);
    }
    return building;
  }

  private async readStored(ref: SeriesRef): Promise<MetadataDocument | undefined> {
    try {
      return parseMetadataDocument(await text(await this.blobs.get(seriesMetadataKey(ref))));
    } catch (error) {
      if (!(error instanceof BlobNotFoundError)) {
        this.logger.warn({ err: String(error) }, 'reading a series metadata document failed; using the index');
      }
      return undefined;
    }
  }

  private async persist(ref: SeriesRef, doc: MetadataDocument): Promise<void> {
    await this.blobs.put(seriesMetadataKey(ref), Readable.from([Buffer.from(serializeMetadataDocument(doc), 'utf8')]), {
      contentType: 'application/json',
    });
  }
}
