import { BLOB_STORE, LOGGER, type Logger } from '@pacs/runtime';
import { type BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import { blobByteReader, storageError, type ByteReader } from './blob-byte-reader';
import { inflatedKey, type InstanceRef } from './derived-keys';
import { inflatePart10 } from './inflate-part10';

/** What StoredBytes needs of an instance: its original and whether its offsets count inflated bytes. */
export interface StoredObject extends InstanceRef {
  blobKey: string;
  deflated: boolean;
}

/**
 * Byte ranges of stored instances. Originals are read as they are; a Deflated original (PS3.5 §A.5) is read
 * from its inflated copy, whose bytes are the ones the index's offsets count: the copy is made at ingest
 * (WadoEventsConsumer) or, when missing, on first use, once however many requests ask at the same time.
 */
@Injectable()
export class StoredBytes {
  private readonly inflating = new Map<string, Promise<void>>();

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A reader of the original, or of the inflated copy of a deflated one (made first when missing). */
  async reader(object: StoredObject): Promise<ByteReader> {
    if (!object.deflated) return blobByteReader(this.blobs, object.blobKey);
    await this.ensureInflated(object);
    return blobByteReader(this.blobs, inflatedKey(object));
  }

  /** The whole original, as stored. */
  async original(object: StoredObject): Promise<NodeJS.ReadableStream & AsyncIterable<Buffer>> {
    try {
      return await this.blobs.get(object.blobKey);
    } catch (error) {
      throw storageError(object.blobKey, error);
    }
  }

  /** Makes the inflated copy of a deflated original unless it exists. */
  async ensureInflated(object: StoredObject): Promise<void> {
    const key = inflatedKey(object);
    let running = this.inflating.get(key);
    if (!running) {
      running = (async () => {
        try {
          if (await this.blobs.head(key)) return;
          const original = await this.original(object);
          await this.blobs.put(key, inflatePart10(original), { contentType: 'application/dicom' });
          this.logger.debug({ key }, 'inflated copy of a deflated instance written');
        } catch (error) {
          throw storageError(key, error);
        } finally {
          this.inflating.delete(key);
        }
      })();
      this.inflating.set(key, running);
    }
    await running;
  }
}
