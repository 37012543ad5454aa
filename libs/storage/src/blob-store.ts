// The port every service stores DICOM originals and derived objects through. Two adapters: FsBlobStore
// (embedded mode: files under PACS_DATA_DIR/blobs) and S3BlobStore (cluster and Kubernetes: any
// S3-compatible server). Both are held to one contract: blob-store.contract.ts.
import { type Readable } from 'node:stream';
import { type BlobKey } from './blob-key';

/** A byte range of a blob: `length` bytes from `offset`. It must lie within the blob (BlobRangeError). */
export interface ByteRange {
  offset: number;
  length: number;
}

export interface StoredBlob {
  key: BlobKey;
  size: number;
  /** SHA-256 of the bytes stored, lower-case hex, computed while they streamed in. */
  sha256: string;
}

export interface PutOptions {
  /** Kept with the object where the store has a place for it (S3 Content-Type). */
  contentType?: string;
  /** The SHA-256 (hex, either case) the body must have; a mismatch rejects with BlobChecksumMismatchError. */
  expectedSha256?: string;
  /** Aborting stops the upload, leaves nothing behind and rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface BlobListing {
  key: BlobKey;
  size: number;
}

export interface BlobStore {
  /**
   * Streams `body` into the store. Resolves only when the blob is durable (fs: file fsync, rename,
   * folder fsync; s3: upload completed) and atomically visible: readers see the previous blob or the
   * new one, never a part of it. Size and SHA-256 are computed while streaming; memory stays bounded
   * whatever the size. If the body errors (the promise rejects with the body's own error), the
   * expected SHA-256 differs, or the signal aborts, nothing is left behind and the previous blob of
   * that key, if any, stays as it was. An abort that comes after the body was read to its end may be
   * too late: the upload then completes and the promise resolves.
   */
  put(key: BlobKey, body: Readable, options?: PutOptions): Promise<StoredBlob>;
  /** The blob's bytes, or the range of them. Missing → BlobNotFoundError; range outside → BlobRangeError. */
  get(key: BlobKey, range?: ByteRange): Promise<Readable>;
  /** The blob's size, or undefined when there is no blob of that key. */
  head(key: BlobKey): Promise<{ size: number } | undefined>;
  /** Removes the blob; removing a missing blob succeeds (idempotent). */
  delete(key: BlobKey): Promise<void>;
  /** Every blob whose key starts with `prefix` (plain string prefix, as S3), in ascending UTF-8 byte order. */
  list(prefix: string): AsyncIterable<BlobListing>;
}
