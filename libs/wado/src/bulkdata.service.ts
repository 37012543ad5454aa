import { frameMediaTypeOf, transferSyntaxOf, type ByteRange } from '@pacs/dicom';
import { DicomwebError, formatWarning, multipartRelated, type BulkdataRepresentation } from '@pacs/dicomweb';
import type { InstanceLocator } from '@pacs/index';
import { Injectable } from '@nestjs/common';
import { FramesService } from './frames.service';
import { boundaryOf, entityTag, ifNoneMatchMatches, immutableCacheControl } from './http-caching';
import { InstanceCatalog, type CatalogEntry } from './instance-catalog';
import { multipartLength } from './multipart-length';
import { contentRange, parseRange, type RangeRequest } from './parse-range';
import { StoredBytes } from './stored-bytes';
import { SwapWords, wordSizeOf } from './swap-words';
import { releaseWith } from './release-with';
import { notModified, type WadoResponse } from './wado-response';

type InstanceAt = InstanceLocator & { seriesUid: string; sopUid: string };

const octetStream = 'application/octet-stream';
const ExplicitVRLittleEndian = '1.2.840.10008.1.2.1';
const nativeLittleEndian = new Set(['1.2.840.10008.1.2', ExplicitVRLittleEndian, '1.2.840.10008.1.2.1.99']);

export interface BulkdataRequest {
  acceptable: readonly BulkdataRepresentation[];
  range: string | string[] | undefined;
  ifNoneMatch: string | string[] | undefined;
}

/** The bytes `range` selects out of the concatenation of `ranges`. */
export function subRanges(ranges: readonly ByteRange[], start: number, end: number): ByteRange[] {
  const out: ByteRange[] = [];
  let at = 0;
  for (const r of ranges) {
    const from = Math.max(start, at);
    const to = Math.min(end + 1, at + r.length);
    if (to > from) out.push({ offset: r.offset + (from - at), length: to - from });
    at += r.length;
  }
  return out;
}

/**
 * WADO-RS bulk data (PS3.18 §10.4.1.1.5): a value by the path of its BulkDataURI, read by its byte range in
 * the original. One HTTP range may be asked (RFC 9110 §14): 206 with Content-Range, 416 when it lies past the
 * end; in a multipart/related answer the one part holds the range and says so in its own Content-Range.
 * The top-level pixel data is answered as its frames (encapsulated images), its whole value (native), or its
 * bitstream (video, which is what byte ranges are for).
 */
@Injectable()
export class BulkdataService {
  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly bytes: StoredBytes,
    private readonly frames: FramesService,
  ) {}

  async bulkdata(locator: InstanceAt, path: string, request: BulkdataRequest): Promise<WadoResponse> {
    const entry = await this.catalog.instance(locator);
    const pixel = entry.pixel;
    if (pixel && path === pixel.tag) return this.pixelData(locator, entry, request);
    const ref = entry.bulk.find((r) => r.path === path);
    if (!ref) throw new DicomwebError('NotFound', 'The instance has no bulk data at this path');
    // Bulk values are bytes: application/octet-stream, in Little Endian unless `*` asks them as stored.
    const rep = request.acceptable.find((r) => r.type === octetStream);
    if (!rep) throw new DicomwebError('NotAcceptable', 'Bulk data is application/octet-stream');
    const bigEndian = transferSyntaxOf(entry.instance.transferSyntaxUid)?.littleEndian === false;
    const swap = bigEndian && rep.transferSyntax !== '*' ? (wordSizeOf[ref.vr] as 2 | 4 | 8 | undefined) : undefined;
    return this.value(entry, [{ offset: ref.offset, length: ref.length }], request, {
      multipart: rep.multipart,
      type: octetStream,
      transferSyntaxUid: bigEndian && !swap ? entry.instance.transferSyntaxUid : ExplicitVRLittleEndian,
      path,
      swap,
    });
  }

  private async pixelData(locator: InstanceAt, entry: CatalogEntry, request: BulkdataRequest): Promise<WadoResponse> {
    const pixel = entry.pixel!;
    const stored = entry.instance.transferSyntaxUid;
    const storedType = frameMediaTypeOf(stored) ?? octetStream;
    if (!pixel.encapsulated) {
      // Native: the whole value, as one octet-stream (PS3.18 Table 8.7.3-4).
      const bigEndian = transferSyntaxOf(stored)?.littleEndian === false;
      const rep = request.acceptable.find(
        (r) =>
          r.type === octetStream &&
          (r.transferSyntax === '*' ||
            (r.transferSyntax === ExplicitVRLittleEndian && (nativeLittleEndian.has(stored) || bigEndian))),
      );
      if (!rep) throw new DicomwebError('NotAcceptable', `The pixel data is stored as ${stored} (native)`);
      const swap = bigEndian && rep.transferSyntax !== '*' && pixel.vr === 'OW' ? (2 as const) : undefined;
      return this.value(entry, [{ offset: pixel.offset, length: pixel.length ?? 0 }], request, {
        multipart: rep.multipart,
        type: octetStream,
        transferSyntaxUid: bigEndian && !swap ? stored : ExplicitVRLittleEndian,
        path: pixel.tag,
        swap,
      });
    }
    if (storedType.startsWith('video/')) {
      // PS3.18 §8.7.3.3.2 Note 5: one bitstream for all frames, the fragments' values in order.
      const rep = request.acceptable.find(
        (r) =>
          (r.type === storedType || r.type === octetStream) &&
          (r.transferSyntax === '*' || r.transferSyntax === stored),
      );
      if (!rep) throw new DicomwebError('NotAcceptable', `The pixel data is a ${storedType} bitstream (${stored})`);
      return this.value(entry, pixel.fragments, request, {
        multipart: rep.multipart,
        type: storedType,
        transferSyntaxUid: stored,
        path: pixel.tag,
      });
    }
    if (pixel.frames.length === 1) {
      const rep = request.acceptable.find(
        (r) =>
          (r.type === storedType || r.type === octetStream) &&
          (r.transferSyntax === '*' || r.transferSyntax === stored),
      );
      if (rep) {
        return this.value(entry, pixel.frames[0]!.ranges, request, {
          multipart: rep.multipart,
          type: storedType,
          transferSyntaxUid: stored,
          path: pixel.tag,
        });
      }
    }
    // Encapsulated images otherwise: their frames, in order, as the frames resource gives them.
    const all = pixel.frames.map((_, n) => n + 1);
    return this.frames.frames(locator, all, request.acceptable, request.ifNoneMatch);
  }

  /** One value made of `ranges` of the stored instance, whole or the HTTP range asked. */
  private async value(
    entry: CatalogEntry,
    ranges: readonly ByteRange[],
    request: BulkdataRequest,
    as: { multipart: boolean; type: string; transferSyntaxUid: string; path: string; swap?: 2 | 4 | 8 },
  ): Promise<WadoResponse> {
    const size = ranges.reduce((n, r) => n + r.length, 0);
    const etag = entityTag([
      'bulkdata',
      entry.instance.sha256,
      as.path,
      as.multipart ? 'multipart' : 'single',
      as.type,
      as.transferSyntaxUid,
    ]);
    const headers: Record<string, string> = {
      ETag: etag,
      'Cache-Control': immutableCacheControl,
      'Accept-Ranges': 'bytes',
    };
    if (ifNoneMatchMatches(request.ifNoneMatch, etag)) return notModified(headers);
    const range: RangeRequest = as.swap ? { kind: 'whole' } : parseRange(request.range, size);
    if (range.kind === 'unsatisfiable') {
      const message = `The range is outside the ${size} bytes of this value`;
      return {
        status: 416,
        contentType: 'application/json; charset=utf-8',
        headers: { 'Content-Range': contentRange(range, size), Warning: formatWarning(message) },
        body: Buffer.from(JSON.stringify({ status: 416, code: 'RangeNotSatisfiable', message })),
      };
    }
    const selected = range.kind === 'range' ? subRanges(ranges, range.start, range.end) : [...ranges];
    const length = range.kind === 'range' ? range.end - range.start + 1 : size;
    const reader = await this.bytes.reader(entry.stored);
    let body = await reader.open(selected);
    if (as.swap) body = body.pipe(new SwapWords(as.swap));
    const partial: Record<string, string> =
      range.kind === 'range' ? { 'Content-Range': contentRange(range, size) } : {};
    const status = range.kind === 'range' ? 206 : 200;
    const type = `${as.type}; transfer-syntax=${as.transferSyntaxUid}`;
    if (!as.multipart) {
      return { status, contentType: type, headers: { ...headers, ...partial, 'Content-Length': String(length) }, body };
    }
    const partHeaders: Record<string, string> = { 'Content-Type': type, 'Content-Length': String(length), ...partial };
    const boundary = boundaryOf(`${etag}${range.kind === 'range' ? `${range.start}-${range.end}` : ''}`);
    if (range.kind === 'range') {
      // The range is in the part (its own Content-Range): the multipart body is not a byte range of the value,
      // so no cache may keep it or combine it with other ranges of the same entity tag.
      delete headers.ETag;
      headers['Cache-Control'] = 'no-store';
    }
    const { contentType, stream } = multipartRelated([{ headers: partHeaders, body }], {
      type: as.type,
      params: { 'transfer-syntax': as.transferSyntaxUid },
      boundary,
    });
    releaseWith(stream, body);
    headers['Content-Length'] = String(multipartLength(boundary, [{ headers: partHeaders, length }]));
    return { status, contentType, headers, body: stream };
  }
}
