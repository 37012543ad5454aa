// @pacs/dicomweb — the DICOMweb protocol (PS3.18): errors and their HTTP mapping, multipart/related in
// both directions, media types and content negotiation, QIDO-RS query parsing, the STOW-RS response,
// resource URLs.
export type { DicomJsonDataset, DicomJsonElement } from './dicom-json';

export {
  DicomwebError,
  httpStatusOf,
  isDicomwebError,
  type DicomwebErrorCode,
  type DicomwebErrorOptions,
} from './errors/dicomweb-error';
export {
  DicomwebExceptionFilter,
  type DicomwebExceptionFilterOptions,
  type ExceptionLogger,
} from './errors/dicomweb-exception.filter';
export { formatWarning, WarningText } from './errors/format-warning';

export { isValidBoundary, multipartBoundaryOf, newBoundary } from './multipart/boundary';
export { multipartRelated, type MultipartRelatedOptions, type OutgoingPart } from './multipart/multipart-related';
export { parseMultipartRelated, type MultipartLimits, type MultipartPart } from './multipart/parse-multipart-related';

export { AnyTransferSyntax, bulkdataMediaTypes, isUid, MediaTypes, WebTransferSyntax } from './media/media-types';
export {
  negotiateBulkdata,
  negotiateFrames,
  negotiateInstances,
  negotiateMetadata,
  negotiateQido,
  negotiateRendered,
  negotiateThumbnail,
  type BulkdataNegotiation,
  type BulkdataRepresentation,
  type InstancesNegotiation,
  type InstancesRepresentation,
  type JsonRepresentation,
  type Negotiated,
  type NegotiationInput,
  type RenderedNegotiation,
  type RenderedRepresentation,
} from './media/negotiate';
export { parseAccept, type AcceptEntry } from './media/parse-accept';
export { formatMediaType, parseMediaType, type MediaType } from './media/parse-media-type';

export {
  parseQidoQuery,
  type QidoLevel,
  type QidoMatch,
  type QidoQuery,
  type QidoQueryOptions,
  type RangeMatch,
  type SequenceMatch,
  type SingleMatch,
  type UidListMatch,
  type UniversalMatch,
  type WildcardMatch,
} from './qido/parse-qido-query';
export { requiredReturnAttributes } from './qido/required-return-attributes';

export {
  buildStowResponse,
  stowStatus,
  type FailedInstanceReference,
  type StoredInstanceReference,
  type StowOutcome,
} from './stow/build-stow-response';
export { FailureReason, WarningReason, type FailureReasonName, type WarningReasonName } from './stow/reasons';

export { dicomwebUrls, type DicomwebUrls } from './urls/dicomweb-urls';
export { resolveBaseUrl, trustedProxyMatcher, type BaseUrlOptions, type BaseUrlRequest } from './urls/resolve-base-url';
export { parseFrameList } from './urls/parse-frame-list';
