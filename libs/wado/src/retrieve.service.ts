import type { ByteRange, FrameRanges, PixelDataIndex, BulkDataRef } from '@pacs/dicom';
import { DicomwebError, multipartRelated, type BulkdataRepresentation } from '@pacs/dicomweb';
import {
  findInstanceDetails,
  findInstances,
  type IndexDatabase,
  type InstanceLocator,
  type StoredInstance,
} from '@pacs/index';
import { BLOB_STORE, INDEX_DATABASE } from '@pacs/runtime';
import { StorageUnavailableError, type BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';

export interface StreamedResponse {
  contentType: string;
  stream: Readable;
  /** Response headers besides Content-Type (Content-Length when known). */
  headers?: Record<string, string>;
}

/**
 * WADO-RS retrieval from the index and object storage: originals bit for bit, metadata from the index,
 * frames and bulk data by byte range (never a whole-object read for one frame).
 */
@Injectable()
export class RetrieveService {
  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async instances(locator: InstanceLocator): Promise<StoredInstance[]> {
    const found = await findInstances(this.db.sql, locator);
    if (found.length === 0) throw notFound(locator);
    return found;
  }

  /** One multipart/related body of the originals, as stored. */
  instancesBody(instances: StoredInstance[], instanceUrl: (i: StoredInstance) => string): StreamedResponse {
    const blobs = this.blobs;
    async function* parts() {
      for (const instance of instances) {
        yield {
          headers: {
            'Content-Type': `application/dicom; transfer-syntax=${instance.transferSyntaxUid}`,
            'Content-Location': instanceUrl(instance),
            'Content-Length': String(instance.size),
          },
          body: await openBlob(blobs, instance.blobKey),
        };
      }
    }
    const transferSyntaxes = new Set(instances.map((i) => i.transferSyntaxUid));
    const { contentType, stream } = multipartRelated(parts(), {
      type: 'application/dicom',
      ...(transferSyntaxes.size === 1 ? { params: { 'transfer-syntax': [...transferSyntaxes][0]! } } : {}),
    });
    return { contentType, stream };
  }

  /** A single-part application/dicom body (instance resource, PS3.18 §10.4.4). */
  async instanceBody(instance: StoredInstance): Promise<StreamedResponse> {
    return {
      contentType: `application/dicom; transfer-syntax=${instance.transferSyntaxUid}`,
      stream: await openBlob(this.blobs, instance.blobKey),
      headers: { 'Content-Length': String(instance.size) },
    };
  }

  /**
   * The metadata of every instance of the resource as one DICOM JSON array, streamed series by series.
   * BulkDataURIs are stored relative to their instance ('bulkdata/…') and made absolute here.
   */
  async metadata(locator: InstanceLocator, instanceUrl: (i: StoredInstance) => string): Promise<Readable> {
    const details = await findInstanceDetails(this.db.sql, locator);
    if (details.length === 0) throw notFound(locator);
    async function* json() {
      yield '[';
      let first = true;
      for (const detail of details) {
        yield (first ? '' : ',') +
          detail.datasetJson.replaceAll('"BulkDataURI":"bulkdata/', `"BulkDataURI":"${instanceUrl(detail)}/bulkdata/`);
        first = false;
      }
      yield ']';
    }
    return Readable.from(json());
  }

  /** The frames of an instance, each from its byte ranges in the original. */
  async frames(
    locator: InstanceLocator,
    frameNumbers: number[],
    representation: BulkdataRepresentation,
  ): Promise<StreamedResponse> {
    const [detail] = await findInstanceDetails(this.db.sql, locator);
    if (!detail) throw notFound(locator);
    if (!detail.pixelIndex) throw new DicomwebError('NotFound', 'The instance has no pixel data, so it has no frames');
    const index = JSON.parse(detail.pixelIndex) as PixelDataIndex;
    if ((index as PixelDataIndex & { deflated?: boolean }).deflated) {
      throw new DicomwebError('NotImplemented', 'Frames of a Deflated instance cannot be read by byte range yet');
    }
    const frames: FrameRanges[] = frameNumbers.map((n) => {
      const frame = index.frames[n - 1];
      if (!frame)
        throw new DicomwebError(
          'NotFound',
          `Frame ${n} does not exist: the instance has ${index.frames.length} frame(s)`,
        );
      return frame;
    });
    const transferSyntax =
      representation.transferSyntax === '*' ? detail.transferSyntaxUid : representation.transferSyntax;
    if (
      transferSyntax !== detail.transferSyntaxUid &&
      !(index.encapsulated === false && isNativeLittleEndian(transferSyntax, detail.transferSyntaxUid))
    ) {
      throw new DicomwebError(
        'NotAcceptable',
        `The frames are stored as ${detail.transferSyntaxUid}; conversion to ${transferSyntax} is not available`,
      );
    }
    const blobs = this.blobs;
    const partType = `${representation.type}; transfer-syntax=${transferSyntax}`;
    async function* parts() {
      for (const frame of frames) {
        yield {
          headers: { 'Content-Type': partType, 'Content-Length': String(lengthOf(frame.ranges)) },
          body: readRanges(blobs, detail!.blobKey, frame.ranges),
        };
      }
    }
    return multipartRelated(parts(), { type: representation.type, params: { 'transfer-syntax': transferSyntax } });
  }

  /** A bulk data element of an instance by the path its BulkDataURI names. */
  async bulkdata(locator: InstanceLocator, path: string): Promise<StreamedResponse> {
    const [detail] = await findInstanceDetails(this.db.sql, locator);
    if (!detail) throw notFound(locator);
    const refs = detail.bulk ? (JSON.parse(detail.bulk) as BulkDataRef[]) : [];
    const ref = refs.find((r) => r.path === path);
    if (!ref) throw new DicomwebError('NotFound', 'The instance has no bulk data at this path');
    const range: ByteRange = { offset: ref.offset, length: ref.length };
    const blobs = this.blobs;
    async function* parts() {
      yield {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(range.length) },
        body: readRanges(blobs, detail!.blobKey, [range]),
      };
    }
    return multipartRelated(parts(), { type: 'application/octet-stream' });
  }
}

/** Native pixel data is the same bytes in Explicit and Implicit VR Little Endian (PS3.5 §8.2: only the header differs). */
function isNativeLittleEndian(a: string, b: string): boolean {
  const le = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'];
  return le.includes(a) && le.includes(b);
}

const lengthOf = (ranges: readonly ByteRange[]) => ranges.reduce((sum, r) => sum + r.length, 0);

function readRanges(blobs: BlobStore, key: string, ranges: readonly ByteRange[]): Readable {
  async function* chunks() {
    for (const range of ranges) yield* await openBlob(blobs, key, range);
  }
  return Readable.from(chunks());
}

async function openBlob(blobs: BlobStore, key: string, range?: ByteRange): Promise<Readable> {
  try {
    return await blobs.get(key, range);
  } catch (error) {
    if (error instanceof StorageUnavailableError) {
      throw new DicomwebError('Unavailable', 'Object storage is unavailable', { cause: error, retryAfterSeconds: 5 });
    }
    throw error;
  }
}

function notFound(locator: InstanceLocator): DicomwebError {
  const what = locator.sopUid !== undefined ? 'instance' : locator.seriesUid !== undefined ? 'series' : 'study';
  return new DicomwebError('NotFound', `No such ${what} in this archive`);
}
