import type { Config } from '@pacs/config';
import {
  isValidUid,
  Part10Error,
  Part10Scanner,
  peekPart10Identity,
  type Part10Identity,
  type Part10Scan,
} from '@pacs/dicom';
import { DicomwebError, FailureReason, parseMultipartRelated, type MultipartPart } from '@pacs/dicomweb';
import { BLOB_STORE, CONFIG, LOGGER, type Logger } from '@pacs/runtime';
import { StorageUnavailableError, type BlobStore } from '@pacs/storage';
import { BusUnavailableError } from '@pacs/bus';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { IndexedWaiter } from './indexed-waiter';
import { InstanceStoredPublisher } from './instance-stored.publisher';

/** How a STOW-RS request ended for one instance (PS3.18 §10.5.3, Store Instances Response Module). */
export type StoreResult =
  | {
      kind: 'stored';
      sopClassUid: string;
      sopInstanceUid: string;
      studyUid: string;
      seriesUid: string;
      warningReason?: number;
      pending?: boolean;
    }
  | { kind: 'failed'; sopClassUid: string; sopInstanceUid: string; failureReason: number; reason: string };

export interface StoreRequest {
  body: Readable;
  contentType: string;
  /** The study of the request URL (POST /studies/{study}). */
  studyUid?: string;
  partitionId: number;
  requestId: string;
}

/** Bytes read from a part to learn the instance's identity before anything is written (PS3.10 header + first groups). */
const identityPeekBytes = 1024 * 1024;

/** Instances of one request written to the blob store at once (each holds a file or an S3 upload's buffers). */
const maxInstancesBeingWritten = 8;

/**
 * STOW-RS: streams each part of a multipart/related request into object storage while its header is
 * parsed, then publishes instance.stored and waits until the index has it, so a 200 means durable AND
 * searchable (read-your-writes). A failing instance becomes a FailedSOPSequence item and leaves nothing
 * behind; a failing dependency (storage, bus) fails the request with 503 so the client retries.
 */
@Injectable()
export class StoreInstancesService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly publisher: InstanceStoredPublisher,
    private readonly waiter: IndexedWaiter,
  ) {}

  async store(request: StoreRequest): Promise<StoreResult[]> {
    const parts = parseMultipartRelated(request.body, request.contentType, {
      maxPartHeaderBytes: this.config.PACS_STOW_MAX_PART_HEADER_BYTES,
      maxParts: this.config.PACS_STOW_MAX_PARTS,
    });
    // Parts arrive one after the other on one stream. As soon as a part's bytes are all read, the next part
    // is read while the previous one is made durable (fsync, S3 completion), announced and indexed: the
    // request's instances go through storage and the index together, and the index gets them in batches.
    const pending: Promise<StoreResult>[] = [];
    const durable = new Set<Promise<unknown>>();
    try {
      for await (const part of parts) {
        const { read, result } = this.storePart(part, request);
        const stored = result.then((r) => (r.kind === 'failed' ? r : this.publishAndWait(r, request)));
        pending.push(stored);
        // A failure must not go unobserved while the loop runs; it surfaces from Promise.all below.
        stored.catch(() => undefined);
        const tracked: Promise<unknown> = result.finally(() => durable.delete(tracked));
        tracked.catch(() => undefined);
        durable.add(tracked);
        await read;
        // Bounded: at most this many instances between "read" and "durable" (S3 uploads buffer their parts).
        while (durable.size >= maxInstancesBeingWritten) await Promise.race(durable).catch(() => undefined);
      }
    } catch (error) {
      // The request itself is broken (multipart syntax, truncated body) or a dependency is down: what this
      // request already stored stays consistent (each instance is indexed or not, never half), but the
      // client gets an error for the whole request.
      await Promise.allSettled(pending);
      throw error;
    }
    if (pending.length === 0) throw new DicomwebError('BadRequest', 'The multipart/related request has no parts');
    return Promise.all(pending);
  }

  /**
   * Stores one part. `read` resolves once the part's bytes are all consumed (the multipart parser can move
   * on); `result` once the instance is durable in the blob store, or failed (then nothing of it remains).
   */
  private storePart(
    part: MultipartPart,
    request: StoreRequest,
  ): { read: Promise<void>; result: Promise<StoredPart | Extract<StoreResult, { kind: 'failed' }>> } {
    let markRead!: () => void;
    const read = new Promise<void>((resolve) => (markRead = resolve));
    const result = this.writePart(part, request, markRead).finally(markRead);
    return { read, result };
  }

  private async writePart(
    part: MultipartPart,
    request: StoreRequest,
    markRead: () => void,
  ): Promise<StoredPart | Extract<StoreResult, { kind: 'failed' }>> {
    const type = (part.contentType ?? 'application/dicom').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/dicom') {
      await drain(part.body);
      return failed(
        '',
        '',
        FailureReason.CannotUnderstand,
        `A part of type ${type} is not a DICOM instance (application/dicom)`,
      );
    }
    const source = part.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let identity: Part10Identity;
    let prefix: Buffer[];
    try {
      ({ identity, prefix } = await peekPart10Identity(source, { maxBytes: identityPeekBytes }));
    } catch (error) {
      await drain(part.body);
      if (error instanceof Part10Error) return failed('', '', FailureReason.CannotUnderstand, error.message);
      throw error;
    }
    const { sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid } = identity;
    const invalid = [sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid].find((uid) => !isValidUid(uid));
    if (invalid !== undefined) {
      await drain(part.body);
      return failed(
        sopClassUid,
        sopInstanceUid,
        FailureReason.CannotUnderstand,
        `'${invalid.slice(0, 80)}' is not a valid UID (PS3.5 §9.1)`,
      );
    }
    if (request.studyUid !== undefined && request.studyUid !== studyInstanceUid) {
      await drain(part.body);
      return failed(
        sopClassUid,
        sopInstanceUid,
        FailureReason.StudyInstanceUIDMismatch,
        'The Study Instance UID of the instance differs from the study of the request URL (PS3.18 §10.5.1)',
      );
    }

    const ingestId = randomUUID();
    // One folder per series, not per instance: a new instance adds one entry to one folder (one folder fsync).
    const key = `p/${request.partitionId}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/instances/${sopInstanceUid}.${ingestId}.dcm`;
    const scanner = new Part10Scanner({
      maxHeaderBytes: this.config.PACS_STOW_MAX_DICOM_HEADER_BYTES,
      bulkDataThreshold: this.config.PACS_BULK_DATA_THRESHOLD,
    });
    const whole = Readable.from(concat(prefix, source), { objectMode: false });
    whole.on('error', (e) => scanner.destroy(e));
    // The part is read when its last byte went into the scanner, long before the blob is durable.
    whole.once('end', markRead);
    try {
      const blob = await this.blobs.put(key, whole.pipe(scanner), { contentType: 'application/dicom' });
      return { kind: 'stored', identity, ingestId, key, size: blob.size, sha256: blob.sha256, scan: scanner.result() };
    } catch (error) {
      await drain(part.body);
      if (error instanceof Part10Error)
        return failed(sopClassUid, sopInstanceUid, FailureReason.CannotUnderstand, error.message);
      if (error instanceof StorageUnavailableError) {
        throw new DicomwebError('Unavailable', 'Object storage is unavailable; nothing of this instance was stored', {
          cause: error,
          retryAfterSeconds: 5,
        });
      }
      throw error;
    }
  }

  private async publishAndWait(stored: StoredPart, request: StoreRequest): Promise<StoreResult> {
    const { identity } = stored;
    const indexed = this.waiter.wait(stored.ingestId, this.config.PACS_STOW_INDEX_TIMEOUT_MS);
    try {
      await this.publisher.publish({ ...stored, partitionId: request.partitionId, requestId: request.requestId });
    } catch (error) {
      indexed.cancel();
      // Not announced, so never indexed: remove the blob (an orphan would be invisible anyway) and let the
      // client retry the request (PS3.18 §8.5: 503 with Retry-After).
      await this.blobs.delete(stored.key).catch(() => undefined);
      if (error instanceof BusUnavailableError || error instanceof StorageUnavailableError) {
        throw new DicomwebError('Unavailable', 'The event bus is unavailable; the instance was not stored', {
          cause: error,
          retryAfterSeconds: 5,
        });
      }
      throw error;
    }
    const outcome = await indexed.promise;
    const base = {
      sopClassUid: identity.sopClassUid,
      sopInstanceUid: identity.sopInstanceUid,
      studyUid: identity.studyInstanceUid,
      seriesUid: identity.seriesInstanceUid,
    };
    switch (outcome?.outcome) {
      case 'indexed':
        return { kind: 'stored', ...base };
      case 'already-indexed':
        // The index keeps the first copy; this identical one is not needed.
        await this.blobs.delete(stored.key).catch(() => undefined);
        return { kind: 'stored', ...base };
      case 'conflict':
        await this.blobs.delete(stored.key).catch(() => undefined);
        return failed(
          base.sopClassUid,
          base.sopInstanceUid,
          FailureReason.DuplicateSOPInstance,
          outcome.reason || 'Another instance with this SOP Instance UID is stored',
        );
      case 'failed':
        await this.blobs.delete(stored.key).catch(() => undefined);
        return failed(
          base.sopClassUid,
          base.sopInstanceUid,
          FailureReason.ProcessingFailure,
          outcome.reason || 'The instance could not be indexed',
        );
      case undefined:
        // Durable and on its way into the index, but not searchable yet: say so honestly (202 + Warning).
        this.logger.warn({ reqId: request.requestId }, 'instance not indexed within the STOW index timeout');
        return { kind: 'stored', ...base, pending: true };
    }
  }
}

export interface StoredPart {
  kind: 'stored';
  identity: Part10Identity;
  ingestId: string;
  key: string;
  size: number;
  sha256: string;
  scan: Part10Scan;
}

const failed = (sopClassUid: string, sopInstanceUid: string, failureReason: number, reason: string) =>
  ({ kind: 'failed', sopClassUid, sopInstanceUid, failureReason, reason }) as const;

async function* concat(prefix: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* prefix;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Reads a part to its end so the multipart parser can move on to the next part. */
async function drain(body: Readable): Promise<void> {
  if (body.readableEnded || body.destroyed) return;
  try {
    for await (const _ of body) {
      // discard
    }
  } catch {
    // the request's own error surfaces from the multipart iterator
  }
}
