import { Topic, type EventBus } from '@pacs/bus';
import { encodeInstanceStored, eventHeaders, InstanceStoredSchema, type InstanceStoredInit } from '@pacs/contracts';
import type { PixelDataIndex } from '@pacs/dicom';
import { BLOB_STORE, EVENT_BUS } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { StoredPart } from './store-instances.service';

/**
 * A data set's JSON travels inside the event up to this size; larger ones (rare: big private sequences,
 * long waveforms) go to object storage beside the original, so events stay well under Kafka's 1 MB default.
 */
const inlineDatasetJsonBytes = 256 * 1024;

/** Announces a durable instance on instance.stored (key: its Study Instance UID, so one study stays ordered). */
@Injectable()
export class InstanceStoredPublisher {
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async publish(stored: StoredPart & { partitionId: number; requestId: string }): Promise<void> {
    const { identity, scan } = stored;
    // The scanner leaves the pixel data out of the data set; metadata gives it as bulk data (PS3.18 §F.2.7).
    const dataset = scan.pixelData
      ? {
          ...scan.dataset,
          [scan.pixelData.tag]: { vr: scan.pixelData.vr, BulkDataURI: `bulkdata/${scan.pixelData.tag}` },
        }
      : scan.dataset;
    const json = Buffer.from(JSON.stringify(dataset), 'utf8');
    let metadata: InstanceStoredInit['metadata'];
    if (json.length <= inlineDatasetJsonBytes) {
      metadata = { case: 'datasetJson', value: json };
    } else {
      const key = `${stored.key}.json`;
      await this.blobs.put(key, Readable.from([json]), { contentType: 'application/dicom+json' });
      metadata = { case: 'datasetJsonBlobKey', value: key };
    }
    const event: InstanceStoredInit = {
      partition: String(stored.partitionId),
      studyInstanceUid: identity.studyInstanceUid,
      seriesInstanceUid: identity.seriesInstanceUid,
      sopInstanceUid: identity.sopInstanceUid,
      sopClassUid: identity.sopClassUid,
      transferSyntaxUid: identity.transferSyntaxUid,
      blobKey: stored.key,
      size: BigInt(stored.size),
      sha256: stored.sha256,
      ingestId: stored.ingestId,
      requestId: stored.requestId,
      storedAt: BigInt(Date.now()),
      metadata,
      pixelData: scan.pixelData ? pixelDataToEvent(scan.pixelData) : undefined,
      bulk: scan.bulk.map((b) => ({ path: b.path, vr: b.vr, offset: BigInt(b.offset), length: BigInt(b.length) })),
      deflated: scan.deflated,
    };
    await this.bus.publish([
      {
        topic: Topic.InstanceStored,
        key: identity.studyInstanceUid,
        value: encodeInstanceStored(event),
        headers: eventHeaders(InstanceStoredSchema),
      },
    ]);
  }
}

const range = (r: { offset: number; length: number }) => ({ offset: BigInt(r.offset), length: BigInt(r.length) });

function pixelDataToEvent(p: PixelDataIndex): InstanceStoredInit['pixelData'] {
  return {
    tag: p.tag,
    vr: p.vr,
    encapsulated: p.encapsulated,
    valueOffset: BigInt(p.offset),
    valueLength: p.length === undefined ? undefined : BigInt(p.length),
    frames: p.frames.map((f) => ({ ranges: f.ranges.map(range), bitOffset: f.bitOffset ?? 0 })),
    fragments: p.fragments.map(range),
    frameMapping: p.frameMapping ?? '',
  };
}
