// @pacs/dicom — the DICOM data model: dictionary, VRs, UIDs, transfer syntaxes, character sets, the DICOM JSON
// model (PS3.18 Annex F), streaming Part 10 reading and Part 10 writing. No Nest imports: plain TypeScript.
export * from './dictionary';
export { SopClassUid, type SopClassKeyword } from './generated/uid-constants';
export { uidRows, type UidRow } from './generated/uids';
export { isVr, isBinaryVr, vrInfo, VR, type Vr, type VrInfo } from './vr';
export { generateUid, isValidUid } from './uid';
export {
  frameMediaTypeOf,
  transferSyntaxes,
  transferSyntaxOf,
  TransferSyntaxUid,
  type TransferSyntax,
  type TransferSyntaxKeyword,
} from './transfer-syntax';
export { CharsetError, decodeText, encodeText } from './charset';
export {
  firstValue,
  numberValue,
  stringValue,
  type DicomJsonDataset,
  type DicomJsonElement,
  type PersonNameJson,
} from './dicom-json';
export { decodeElementValue, encodeElementValue, formatDecimalString, type ValueContext } from './element-value';
export { Part10Error, part10ErrorCodes, type Part10ErrorCode } from './part10-error';
export type { BulkDataRef, ByteRange, FrameRanges, Part10Identity, Part10Scan, PixelDataIndex } from './part10-types';
export { Part10Scanner, type Part10ScannerOptions } from './part10-scanner';
export { peekPart10Identity } from './peek-part10-identity';
export { frameByteRanges, looksLikeFrameStart } from './frame-index';
export { replaceTopLevelElements, type TopLevelReplacements } from './replace-top-level-elements';
export {
  encodeDataSetElements,
  implementationClassUid,
  implementationVersionName,
  writePart10,
  type BinarySource,
  type PixelDataSource,
  type WritePart10Options,
} from './write-part10';
