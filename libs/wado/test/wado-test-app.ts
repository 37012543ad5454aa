// A wado-only process for the feature's own tests: the embedded adapters (PGlite, files, in-process bus), the
// index migrated, and instances ingested the way STOW-RS and the index do it (scan, store the original, write
// the index row, announce instance.indexed) without those features, which a feature may not import.
import { Topic, type EventBus } from '@pacs/bus';
import {
  encodeInstanceDeleted,
  encodeInstanceIndexed,
  eventHeaders,
  IndexOutcome,
  InstanceDeletedSchema,
  InstanceIndexedSchema,
} from '@pacs/contracts';
import { Part10Scanner, type Part10Scan } from '@pacs/dicom';
import { applyMigrations, writeInstances, type IndexDatabase } from '@pacs/index';
import { BLOB_STORE, createApp, EVENT_BUS, INDEX_DATABASE, type App } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WadoFeature } from '../src';

export interface WadoTestApp {
  app: App;
  baseUrl: string;
  blobs: BlobStore;
  db: IndexDatabase;
  bus: EventBus;
  /** Stores and indexes a Part 10 file; announces it on instance.indexed unless `announce` is false. */
  ingest(bytes: Buffer, options?: { announce?: boolean }): Promise<Part10Scan & { blobKey: string }>;
  /** Announces instance.deleted (the index row is left alone). */
  announceDeleted(study: string, series: string, sop: string): Promise<void>;
  close(): Promise<void>;
}

async function scan(bytes: Buffer): Promise<Part10Scan> {
  const scanner = new Part10Scanner({ maxHeaderBytes: 16 << 20, bulkDataThreshold: 1024 });
  await pipeline(Readable.from([bytes]), scanner, async (source) => {
    for await (const _ of source) {
      // drain
    }
  });
  return scanner.result();
}

const uidOf = (s: Part10Scan, tag: string) => String(s.dataset[tag]?.Value?.[0] ?? '');

export async function startWadoTestApp(dataDir: string, overrides: Record<string, string> = {}): Promise<WadoTestApp> {
  const app = await createApp({
    name: 'wado',
    features: [WadoFeature],
    env: {},
    overrides: { PACS_DATA_DIR: dataDir, PACS_LOG_LEVEL: 'warn', ...overrides },
  });
  const db = app.app.get<IndexDatabase>(INDEX_DATABASE);
  await applyMigrations(db.sql);
  await app.app.listen(0, '127.0.0.1');
  const { port } = app.app.getHttpServer().address() as { port: number };
  const blobs = app.app.get<BlobStore>(BLOB_STORE);
  const bus = app.app.get<EventBus>(EVENT_BUS);
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}/dicomweb`,
    blobs,
    db,
    bus,
    async ingest(bytes, options = {}) {
      const s = await scan(bytes);
      const study = uidOf(s, '0020000D');
      const series = uidOf(s, '0020000E');
      const sop = uidOf(s, '00080018');
      const ingestId = randomUUID();
      const blobKey = `p/1/studies/${study}/series/${series}/instances/${sop}/${ingestId}.dcm`;
      const stored = await blobs.put(blobKey, Readable.from([bytes]));
      const dataset = s.pixelData
        ? { ...s.dataset, [s.pixelData.tag]: { vr: s.pixelData.vr, BulkDataURI: `bulkdata/${s.pixelData.tag}` } }
        : s.dataset;
      const [outcome] = await writeInstances(db.sql, [
        {
          partitionId: 1,
          ingestId,
          studyUid: study,
          seriesUid: series,
          sopUid: sop,
          sopClassUid: uidOf(s, '00080016'),
          transferSyntaxUid: s.transferSyntaxUid,
          blobKey,
          size: stored.size,
          sha256: stored.sha256,
          dataset,
          ...(s.pixelData ? { pixelIndex: JSON.stringify({ ...s.pixelData, deflated: s.deflated }) } : {}),
          ...(s.bulk.length ? { bulk: JSON.stringify(s.bulk) } : {}),
        },
      ]);
      if (outcome?.outcome !== 'indexed') throw new Error(`not indexed: ${outcome?.outcome}`);
      if (options.announce !== false) {
        await bus.publish([
          {
            topic: Topic.InstanceIndexed,
            key: study,
            value: encodeInstanceIndexed({
              partition: '1',
              studyInstanceUid: study,
              seriesInstanceUid: series,
              sopInstanceUid: sop,
              ingestId,
              outcome: IndexOutcome.INDEXED,
              indexedAt: BigInt(Date.now()),
            }),
            headers: eventHeaders(InstanceIndexedSchema),
          },
        ]);
      }
      return { ...s, blobKey };
    },
    async announceDeleted(study, series, sop) {
      await bus.publish([
        {
          topic: Topic.InstanceDeleted,
          key: study,
          value: encodeInstanceDeleted({
            partition: '1',
            studyInstanceUid: study,
            seriesInstanceUid: series,
            sopInstanceUid: sop,
            deletedAt: BigInt(Date.now()),
          }),
          headers: eventHeaders(InstanceDeletedSchema),
        },
      ]);
    },
    close: () => app.close(),
  };
}
