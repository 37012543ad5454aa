import type { Viewport } from '@pacs/imaging';
import type { RenderedImageType } from './negotiate-rendered-response';

export interface InstanceUids {
  readonly partitionId: number;
  readonly studyUid: string;
  readonly seriesUid: string;
  readonly sopUid: string;
}

const extensionOf: Readonly<Record<RenderedImageType, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * Where the derived objects of an instance live in the blob store. The key names the partition, study, series and
 * instance of the request path, so a stored thumbnail answers its URL without asking the index (a SOP Instance UID
 * stored under another study or series is another resource); instance.deleted removes everything under it.
 */
export const derivedPrefixOf = (uids: InstanceUids): string =>
  `derived/thumbnails/p/${uids.partitionId}/studies/${uids.studyUid}/series/${uids.seriesUid}/instances/${uids.sopUid}/`;

/** The stored thumbnail of an instance (its representative frame) at one size and media type. */
export const thumbnailKeyOf = (uids: InstanceUids, size: Viewport, mediaType: RenderedImageType): string =>
  `${derivedPrefixOf(uids)}${size.width}x${size.height}.${extensionOf[mediaType]}`;
