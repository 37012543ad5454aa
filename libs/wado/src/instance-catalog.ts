import { transferSyntaxOf, type BulkDataRef, type DicomJsonDataset, type PixelDataIndex } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import {
  findInstanceDetails,
  type IndexDatabase,
  type InstanceLocator,
  type PatientRecord,
  type StoredInstance,
  type StoredInstanceDetail,
} from '@pacs/index';
import { INDEX_DATABASE, LruCache } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { PixelModule } from '@pacs/imaging';
import { byteBound } from './byte-bound';
import { patientCoercionOf, patientVersionOf, type PatientCoercion } from './patient-coercion';
import type { StoredObject } from './stored-bytes';
import { transcodingPixelModule } from './transcode-frame';

/** The pixel data index as the index keeps it: @pacs/dicom's, plus whether its offsets count inflated bytes. */
export type StoredPixelIndex = PixelDataIndex & { deflated?: boolean };

/** One instance as WADO-RS needs it, parsed once: where its original is, its frames, bulk data and metadata. */
export class CatalogEntry {
  readonly pixel?: StoredPixelIndex;
  readonly bulk: readonly BulkDataRef[];
  readonly loadedAt = Date.now();
  private parsed?: DicomJsonDataset;
  private module?: { value: PixelModule | undefined };
  private coercion?: { version: string; value: PatientCoercion | undefined };

  constructor(
    readonly partitionId: number,
    readonly instance: StoredInstanceDetail,
  ) {
    if (instance.pixelIndex) this.pixel = JSON.parse(instance.pixelIndex) as StoredPixelIndex;
    this.bulk = instance.bulk ? (JSON.parse(instance.bulk) as BulkDataRef[]) : [];
  }

  /** Offsets of frames and bulk data count the inflated data set (Deflated Explicit VR LE, PS3.5 §A.5). */
  get deflated(): boolean {
    return this.pixel?.deflated === true || transferSyntaxOf(this.instance.transferSyntaxUid)?.deflated === true;
  }

  /** The data set as DICOM JSON, BulkDataURIs relative to the instance ('bulkdata/<path>'). */
  get dataset(): DicomJsonDataset {
    this.parsed ??= JSON.parse(this.instance.datasetJson) as DicomJsonDataset;
    return this.parsed;
  }

  /** The Image Pixel module transcoding needs; undefined without pixel data or a valid module. */
  get pixelModule(): PixelModule | undefined {
    this.module ??= { value: this.pixel ? transcodingPixelModule(this.dataset) : undefined };
    return this.module.value;
  }

  /**
   * What retrieval changes in this instance to show the patient's current record (patient-coercion.ts);
   * undefined when its stored values are the record's. Remembered for the record's version.
   */
  patientCoercion(record: PatientRecord): PatientCoercion | undefined {
    const version = patientVersionOf(record);
    if (this.coercion?.version !== version) {
      this.coercion = { version, value: patientCoercionOf(this.dataset, record) };
    }
    return this.coercion.value;
  }

  /** What StoredBytes reads this instance by. */
  get stored(): StoredObject {
    const i = this.instance;
    return {
      partitionId: this.partitionId,
      studyUid: i.studyUid,
      seriesUid: i.seriesUid,
      sopUid: i.sopUid,
      sha256: i.sha256,
      blobKey: i.blobKey,
      deflated: this.deflated,
    };
  }

  /** Rough memory held, for the cache bound. */
  get bytes(): number {
    return (
      1024 +
      2 *
        (this.instance.datasetJson.length + (this.instance.pixelIndex?.length ?? 0) + (this.instance.bulk?.length ?? 0))
    );
  }
}

const keyOf = (partitionId: number, studyUid: string, seriesUid: string, sopUid: string) =>
  `${partitionId}/${studyUid}/${seriesUid}/${sopUid}`;

/** Cached entries are looked up again after this long, even without an instance.deleted to evict them. */
const maxAgeMs = 5 * 60_000;

/**
 * Instance lookups for the instance-level resources (frames above all: a viewer asks for hundreds a second).
 * An entry is cached once found: a stored instance never changes (PS3.4 B.2.3; the index refuses other content
 * under a stored SOP Instance UID), it can only be deleted, and instance.deleted evicts it (in every replica,
 * WadoEventsConsumer). Misses are not cached: an instance stored a moment later must be found
 * (read-your-writes after STOW).
 */
@Injectable()
export class InstanceCatalog {
  private readonly cache = new LruCache<CatalogEntry>(byteBound(64 * 1024 * 1024, 50_000), (e) => e.bytes);

  constructor(@Inject(INDEX_DATABASE) private readonly db: IndexDatabase) {}

  async instance(locator: InstanceLocator & { seriesUid: string; sopUid: string }): Promise<CatalogEntry> {
    const key = keyOf(locator.partitionId, locator.studyUid, locator.seriesUid, locator.sopUid);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.loadedAt < maxAgeMs) return cached;
    const [detail] = await findInstanceDetails(this.db.sql, locator);
    if (!detail) throw new DicomwebError('NotFound', 'No such instance in this archive');
    const entry = new CatalogEntry(locator.partitionId, detail);
    this.cache.set(key, entry);
    return entry;
  }

  /** Every instance of a study or series with its details (one index query), each cached as by instance(). */
  async many(locator: InstanceLocator): Promise<Map<string, CatalogEntry>> {
    const details = await findInstanceDetails(this.db.sql, locator);
    const entries = new Map<string, CatalogEntry>();
    for (const detail of details) {
      const entry = new CatalogEntry(locator.partitionId, detail);
      this.cache.set(keyOf(locator.partitionId, detail.studyUid, detail.seriesUid, detail.sopUid), entry);
      entries.set(detail.sopUid, entry);
    }
    return entries;
  }

  /**
   * The entries of `instances` (a resource's, as findInstances listed them): from the cache when it holds
   * every one of them, with the same original; else from the index in one query (many).
   */
  async entriesOf(locator: InstanceLocator, instances: readonly StoredInstance[]): Promise<Map<string, CatalogEntry>> {
    const entries = new Map<string, CatalogEntry>();
    for (const i of instances) {
      const cached = this.cache.get(keyOf(locator.partitionId, i.studyUid, i.seriesUid, i.sopUid));
      const fresh =
        cached &&
        Date.now() - cached.loadedAt < maxAgeMs &&
        cached.instance.sha256 === i.sha256 &&
        cached.instance.blobKey === i.blobKey;
      if (!fresh) return this.many(locator);
      entries.set(i.sopUid, cached);
    }
    return entries;
  }

  evict(partitionId: number, studyUid: string, seriesUid: string, sopUid: string): void {
    this.cache.delete(keyOf(partitionId, studyUid, seriesUid, sopUid));
  }

  evictSeries(partitionId: number, studyUid: string, seriesUid: string): void {
    this.cache.deletePrefix(`${partitionId}/${studyUid}/${seriesUid}/`);
  }
}
