export { type BlobKey, assertBlobKey, assertBlobPrefix } from './blob-key';
export { type BlobListing, type BlobStore, type ByteRange, type PutOptions, type StoredBlob } from './blob-store';
export { describeBlobStoreContract, type BlobStoreContractOptions } from './blob-store.contract';
export { FsBlobStore } from './fs-blob-store';
export { type RetryPolicy } from './retry-unavailable';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';
export {
  BlobChecksumMismatchError,
  BlobNotFoundError,
  BlobRangeError,
  InvalidBlobKeyError,
  StorageError,
  StorageUnavailableError,
} from './storage-errors';
