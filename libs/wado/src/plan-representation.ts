// Which representation of an instance or of its frames to send, among those the client accepts (best
// first, as @pacs/dicomweb's negotiation ranks them), and whether that takes a transcoding (PS3.18 §8.7.3).
import { frameMediaTypeOf, Tag, transferSyntaxOf } from '@pacs/dicom';
import type { BulkdataRepresentation, InstancesRepresentation } from '@pacs/dicomweb';
import { TranscodeKind, transcodeSupport, type PixelModule } from '@pacs/imaging';
import type { StoredPixelIndex } from './instance-catalog';

const ImplicitVRLittleEndian = '1.2.840.10008.1.2';
const ExplicitVRLittleEndian = '1.2.840.10008.1.2.1';
const DeflatedExplicitVRLittleEndian = '1.2.840.10008.1.2.1.99';
const EncapsulatedUncompressed = '1.2.840.10008.1.2.1.98';
const octetStream = 'application/octet-stream';

/** PS3.18 §8.7.3.5.2: `*` lets the server choose, which for us always means "as stored": it never transcodes. */
const anyTransferSyntax = '*';

/**
 * Native Little Endian syntaxes: the pixel bytes are the same in all three (PS3.5 §A.1, §A.2, §A.5: only
 * the encoding of the other elements differs; Deflated pixels are read from the inflated copy).
 */
const nativeLittleEndian = new Set([ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian]);

/** What the planner knows about a stored instance. */
export interface StoredRepresentation {
  transferSyntaxUid: string;
  pixel?: StoredPixelIndex;
  /** Undefined when the data set has no valid Image Pixel module. */
  pixelModule?: PixelModule;
}

// ------------------------------------------------------------------------------------- frames

export interface FramePlan {
  /** Send the stored bytes of each frame, or transcode each one. */
  kind: 'stored' | 'transcode';
  multipart: boolean;
  /** The media type of each frame (Table 8.7.3-5), for the Content-Type of the part (or of the body). */
  partType: string;
  /** The transfer syntax the frames are in: the transfer-syntax parameter of the Content-Type. */
  transferSyntaxUid: string;
}

/** The transfer syntax stored frames are labelled with: native Little Endian frame bytes are Explicit VR LE's. */
function storedFrameSyntax(stored: string): string {
  return nativeLittleEndian.has(stored) || stored === EncapsulatedUncompressed ? ExplicitVRLittleEndian : stored;
}

/**
 * Chooses how to answer a frames request. In order of the client's preference, a representation is served
 * - as stored when it asks `transfer-syntax=*` with the stored frames' media type or application/octet-stream
 *   (the form viewers use to mean "whatever you have": the parts then say what they are), or asks the stored
 *   syntax itself (native Little Endian frames are Explicit VR Little Endian frames);
 * - transcoded when @pacs/imaging can convert the stored pixel data into the requested syntax without
 *   breaking the lossless rule (transcodeSupport).
 * `aligned` is false for 1-bit frames that do not start on a byte (PS3.5 §8.1.1): they are always re-packed.
 * Undefined when no acceptable representation can be produced (406).
 */
export function planFrames(
  stored: StoredRepresentation,
  acceptable: readonly BulkdataRepresentation[],
  aligned = true,
): FramePlan | undefined {
  const storedSyntax = storedFrameSyntax(stored.transferSyntaxUid);
  const storedType = frameMediaTypeOf(stored.transferSyntaxUid) ?? octetStream;
  for (const rep of acceptable) {
    const asStored =
      aligned &&
      (rep.transferSyntax === anyTransferSyntax
        ? rep.type === storedType || rep.type === octetStream
        : rep.transferSyntax === storedSyntax || rep.transferSyntax === stored.transferSyntaxUid);
    if (asStored) {
      return { kind: 'stored', multipart: rep.multipart, partType: storedType, transferSyntaxUid: storedSyntax };
    }
    if (rep.transferSyntax === anyTransferSyntax || !stored.pixelModule) continue;
    if (
      transcodeSupport(stored.transferSyntaxUid, rep.transferSyntax, stored.pixelModule) !== TranscodeKind.Unsupported
    ) {
      return { kind: 'transcode', multipart: rep.multipart, partType: rep.type, transferSyntaxUid: rep.transferSyntax };
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------- instances

/**
 * How the pixel data is written when an instance is re-encoded:
 * - none: the instance has no pixel data (only the other elements are re-encoded);
 * - passthrough: the stored pixel bytes are copied (native Little Endian to native Little Endian);
 * - frames: each frame is decoded and encoded in the target syntax;
 * - copy: the stored pixel data as it is, native or encapsulated (the target is the stored syntax: only the
 *   other elements are written again, e.g. to apply the current patient record).
 */
export type PixelRewrite = 'none' | 'passthrough' | 'frames' | 'copy';

export type InstancePlan =
  | { kind: 'original'; multipart: boolean; transferSyntaxUid: string }
  | { kind: 'transcode'; multipart: boolean; transferSyntaxUid: string; pixels: PixelRewrite };

/** How the pixel data of `stored` is rewritten for `target`, or undefined when it cannot be. */
export function pixelRewriteOf(stored: StoredRepresentation, target: string): PixelRewrite | undefined {
  const ts = transferSyntaxOf(target);
  if (!ts || ts.keyword === 'RFC2557MIMEEncapsulation' || ts.keyword === 'XMLEncoding') return undefined;
  const pixel = stored.pixel;
  if (!pixel) return 'none';
  if (nativeLittleEndian.has(stored.transferSyntaxUid) && nativeLittleEndian.has(target)) return 'passthrough';
  const pm = stored.pixelModule;
  if (!pm || pixel.tag !== Tag.PixelData || pm.bitsAllocated === 1) return undefined;
  // Every frame must be found to be re-encoded (video and unmappable fragments have no frame list).
  if (pixel.frames.length !== pm.numberOfFrames) return undefined;
  return transcodeSupport(stored.transferSyntaxUid, target, pm) === TranscodeKind.Unsupported ? undefined : 'frames';
}

/**
 * Chooses how to send an instance, in order of the client's preference: the original when a representation
 * accepts its transfer syntax (`*` or the stored one), else that representation's syntax when we can re-encode
 * the instance in it (PS3.18 §8.7.3.5: a request without a transfer-syntax asks Explicit VR Little Endian, so
 * an Implicit VR or compressed original is converted). Undefined when nothing acceptable can be produced (406).
 */
export function planInstance(
  stored: StoredRepresentation,
  acceptable: readonly InstancesRepresentation[],
): InstancePlan | undefined {
  for (const rep of acceptable) {
    if (rep.transferSyntax === anyTransferSyntax || rep.transferSyntax === stored.transferSyntaxUid) {
      return { kind: 'original', multipart: rep.multipart, transferSyntaxUid: stored.transferSyntaxUid };
    }
    const pixels = pixelRewriteOf(stored, rep.transferSyntax);
    if (pixels) return { kind: 'transcode', multipart: rep.multipart, transferSyntaxUid: rep.transferSyntax, pixels };
  }
  return undefined;
}

/**
 * Whether the client's preferred representation is the original of an instance stored in `transferSyntaxUid`:
 * then planInstance chooses it without needing the instance's details.
 */
export const prefersOriginal = (transferSyntaxUid: string, acceptable: readonly InstancesRepresentation[]): boolean =>
  acceptable[0] !== undefined &&
  (acceptable[0].transferSyntax === anyTransferSyntax || acceptable[0].transferSyntax === transferSyntaxUid);
