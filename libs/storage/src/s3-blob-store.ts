// BlobStore on an S3-compatible server (AWS S3, versitygw, Ceph RGW, …) through @aws-sdk/client-s3.
//
// put: a streaming multipart upload (@aws-sdk/lib-storage): parts of partSize bytes, queueSize of them
//   in flight, so memory per upload is about partSize × (queueSize + 2) whatever the blob's size. Every
//   request carries the SHA-256 of its part (ChecksumAlgorithm SHA256) and the server rejects a part
//   whose bytes differ; the object appears only at CompleteMultipartUpload (or at the one PutObject of a
//   blob smaller than a part), so readers never see a partial blob, and a failed upload is aborted.
// get: one GET (with a Range header for a range); if the connection breaks mid-body, the read resumes
//   where it stopped with a ranged GET pinned to the same object by If-Match on its ETag.
// Retries: the SDK's standard strategy retries each request (maxAttempts); on top of it get, head,
//   delete and list retry StorageUnavailableError with backoff (retryPolicy), which also covers a
//   server that is restarting for longer than the SDK's few hundred milliseconds.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobKey, assertBlobKey, assertBlobPrefix, blobKeySegmentProblem } from './blob-key';
import { type BlobListing, type BlobStore, type ByteRange, type PutOptions, type StoredBlob } from './blob-store';
import { assertByteRangeShape } from './byte-range';
import { DigestingStream, assertSha256Hex } from './digesting-stream';
import { type RetryPolicy, backoffDelayMs, retryUnavailable } from './retry-unavailable';
import { BlobNotFoundError, BlobRangeError, StorageError } from './storage-errors';
import { wrapS3Error } from './wrap-s3-error';

export interface S3BlobStoreOptions {
  /** e.g. http://127.0.0.1:9000; omitted or '' for AWS's endpoint of the region. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Omitted or '': the SDK's default credential chain (environment, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (http://host/bucket/key): needed by most S3-compatible servers. */
  forcePathStyle?: boolean;
  /** Bytes per multipart part, at least 5 MiB (S3's minimum). Default 5 MiB. */
  partSize?: number;
  /** Parts uploaded at once. Default 4. */
  queueSize?: number;
  /** Attempts of one request by the SDK's standard retry strategy. Default 3. */
  maxAttempts?: number;
  /** Our retries of get, head, delete and list around the SDK's. Default 3 attempts, 200 ms base. */
  retryPolicy?: RetryPolicy;
  /** Connecting longer than this fails (and is retried). Default 5000 ms. */
  connectionTimeoutMs?: number;
  /** A socket silent for this long fails the request or the body being read (which then resumes). Default 30000 ms. */
  socketTimeoutMs?: number;
}

const MiB = 1024 * 1024;
/**
 * S3's smallest part (except the last). Memory per upload is about partSize × (queueSize + 2): the parts
 * in flight, the part being filled and the copy lib-storage makes of it (Buffer.concat); 30 MiB with
 * these defaults. Larger parts did not upload faster on loopback.
 */
const defaultPartSize = 5 * MiB;
/** Four parts in flight keep a loopback or LAN link busy. */
const defaultQueueSize = 4;
const defaultRetryPolicy: RetryPolicy = { attempts: 3, baseDelayMs: 200 };
/** Resumptions of one GET body after a broken connection. */
const maxResumes = 3;

/** The part of an object one GET response delivers: bytes [start, end) of the object. */
interface ObjectBody {
  body: Readable;
  start: number;
  end: number;
  etag: string | undefined;
}

export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #retryPolicy: RetryPolicy;

  constructor(options: S3BlobStoreOptions) {
    this.#bucket = options.bucket;
    this.#partSize = options.partSize ?? defaultPartSize;
    this.#queueSize = options.queueSize ?? defaultQueueSize;
    this.#retryPolicy = options.retryPolicy ?? defaultRetryPolicy;
    if (this.#partSize < 5 * MiB) throw new RangeError('S3BlobStore: partSize must be at least 5 MiB');
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5000,
        socketTimeout: options.socketTimeoutMs ?? 30_000,
      },
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey ?? '' };
    }
    this.#client = new S3Client(config);
  }

  /** Closes the client's idle connections. */
  destroy(): void {
    this.#client.destroy();
  }

  #wrap(error: unknown, key?: BlobKey): Error {
    return wrapS3Error(error, key, this.#bucket);
  }

  #retrying<T>(key: BlobKey | undefined, operation: () => Promise<T>): Promise<T> {
    return retryUnavailable(this.#retryPolicy, async () => {
      try {
        return await operation();
      } catch (error) {
        throw this.#wrap(error, key);
      }
    });
  }

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    assertBlobKey(key);
    assertSha256Hex(options.expectedSha256);
    const digest = new DigestingStream(key, options.expectedSha256);
    // The body's own error, an abort or a checksum mismatch all surface as an error of the digest
    // stream (pipeline forwards the body's error and the abort to it): what put rejects with, whatever
    // the upload then says about the stream it was reading. Registered before the upload starts
    // reading, so it is known before the upload's own error.
    let streamError: unknown;
    digest.once('error', (error) => (streamError ??= error));
    const feeding = pipeline(body, digest, { signal: options.signal }).catch(() => undefined);
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: key,
        Body: digest,
        ContentType: options.contentType,
        ChecksumAlgorithm: 'SHA256',
      },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      // On failure the upload is aborted: no orphan parts stay on the server.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      const cause = streamError;
      // Stops reading the body (pipeline destroys it) when the upload failed on the server's side.
      digest.destroy();
      await feeding;
      throw cause ?? this.#wrap(error, key);
    }
    await feeding;
    if (streamError !== undefined || digest.sha256 === undefined) {
      // Cannot happen: the upload completes only after the digest stream ended. Guard the invariant.
      throw new StorageError(`S3 ${this.#bucket}/${key}: upload completed before its body ended`, {
        cause: streamError,
      });
    }
    return { key, size: digest.byteCount, sha256: digest.sha256 };
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable> {
    assertBlobKey(key);
    if (range !== undefined) assertByteRangeShape(key, range);
    if (range !== undefined && range.length === 0) {
      // HTTP has no empty range (RFC 9110 §14.1.2): check existence and bounds with HEAD.
      const found = await this.head(key);
      if (found === undefined) throw new BlobNotFoundError(key);
      if (range.offset > found.size) throw new BlobRangeError(key, range, found.size);
      return Readable.from([]);
    }
    const first = await this.#retrying(key, () =>
      this.#getObject(key, range?.offset ?? 0, range === undefined ? undefined : range.offset + range.length, range),
    );
    // The reader's consumer may drop it at any time: then the response being read is closed at once,
    // not when its socket times out, and no resumption starts.
    const current = { body: first.body, closed: false };
    const reader = Readable.from(this.#resumingBody(key, first, current));
    reader.once('close', () => {
      current.closed = true;
      current.body.destroy();
    });
    return reader;
  }

  /** One GET of bytes [start, end) (end undefined: to the end of the object). */
  async #getObject(
    key: BlobKey,
    start: number,
    end: number | undefined,
    range: ByteRange | undefined,
    etag?: string,
  ): Promise<ObjectBody> {
    let output;
    try {
      output = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Range: end !== undefined ? `bytes=${start}-${end - 1}` : start > 0 ? `bytes=${start}-` : undefined,
          IfMatch: etag,
        }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidRange' && range !== undefined) {
        throw new BlobRangeError(key, range, sizeFromContentRange(error));
      }
      if (error instanceof Error && error.name === 'PreconditionFailed') {
        throw new StorageError(`S3 ${this.#bucket}/${key} was replaced while it was being read`, { cause: error });
      }
      throw error;
    }
    const body = output.Body as Readable | undefined;
    const length = output.ContentLength ?? 0;
    // A server shortens a range that runs past the end (RFC 9110 §14.1.2); our contract does not.
    if (end !== undefined && start + length !== end) {
      body?.destroy();
      throw new BlobRangeError(
        key,
        range ?? { offset: start, length: end - start },
        totalFromContentRange(output.ContentRange),
      );
    }
    return { body: body ?? Readable.from([]), start, end: start + length, etag: output.ETag };
  }

  /** The bytes of `first`, resuming with a ranged GET of the same object (If-Match) after a broken connection. */
  async *#resumingBody(
    key: BlobKey,
    first: ObjectBody,
    current: { body: Readable; closed: boolean },
  ): AsyncGenerator<Buffer> {
    let position = first.start;
    for (let resumes = 0; ; resumes++) {
      let failure: unknown;
      try {
        for await (const chunk of current.body) {
          position += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (position === first.end) return;
      } catch (error) {
        failure = error;
      }
      if (current.closed) return;
      const wrapped = this.#wrap(
        failure ?? Object.assign(new Error('aborted'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
        key,
      );
      if (!(wrapped instanceof StorageError) || !wrapped.retryable || resumes >= maxResumes) {
        throw wrapped;
      }
      await sleep(backoffDelayMs(this.#retryPolicy, resumes + 1));
      if (current.closed) return;
      ({ body: current.body } = await this.#retrying(key, () =>
        this.#getObject(key, position, first.end, undefined, first.etag),
      ));
      if (current.closed) {
        current.body.destroy();
        return;
      }
    }
  }

  async head(key: BlobKey): Promise<{ size: number } | undefined> {
    assertBlobKey(key);
    try {
      const output = await this.#retrying(key, () =>
        this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key })),
      );
      return { size: output.ContentLength ?? 0 };
    } catch (error) {
      if (error instanceof BlobNotFoundError) return undefined;
      throw error;
    }
  }

  async delete(key: BlobKey): Promise<void> {
    assertBlobKey(key);
    try {
      await this.#retrying(key, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })));
    } catch (error) {
      // S3 answers 204 for a missing key; some compatible servers answer NoSuchKey.
      if (error instanceof BlobNotFoundError) return;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<BlobListing> {
    assertBlobPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await this.#retrying(undefined, () =>
        this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix || undefined, ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        // Objects written by other tools may have keys outside our rules: not blobs of this store.
        if (key === undefined || key.split('/').some((segment) => blobKeySegmentProblem(segment) !== undefined)) {
          continue;
        }
        yield { key, size: object.Size ?? 0 };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }
}

// Content-Range "bytes 0-99/1234" or "bytes */1234" (RFC 9110 §14.4) → 1234.
function totalFromContentRange(contentRange: string | undefined): number | undefined {
  const total = contentRange?.match(/\/(\d+)$/)?.[1];
  return total === undefined ? undefined : Number(total);
}

function sizeFromContentRange(error: Error): number | undefined {
  const response = (error as { $response?: { headers?: Record<string, string> } }).$response;
  return totalFromContentRange(response?.headers?.['content-range']);
}
