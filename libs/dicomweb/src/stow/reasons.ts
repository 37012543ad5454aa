// Status codes carried by a STOW-RS response (PS3.18 Annex I "Store Instances Response Module") for each
// SOP Instance: Failure Reason (0008,1197) in a Failed SOP Sequence item, Warning Reason (0008,1196) in a
// Referenced SOP Sequence item. The values are DICOM status codes (PS3.4 Table B.2-1 C-STORE status,
// PS3.7 Annex C general statuses); where the standard gives a range (A7xx), its first code is used.

/** PS3.18 §I.2.2 Table I.2-2 "Store Instances Response Failure Reason Values", plus PS3.7 Annex C. */
export const FailureReason = {
  /** 0110H Processing failure: a general failure while processing the instance (Table I.2-2; PS3.7 Annex C). */
  ProcessingFailure: 0x0110,
  /**
   * 0111H Duplicate SOP Instance (PS3.7 Annex C, as N-CREATE answers it): an instance with this SOP Instance UID is already stored
   * with different content.
   */
  DuplicateSOPInstance: 0x0111,
  /** 0122H Referenced SOP Class not supported (Table I.2-2). */
  SOPClassNotSupported: 0x0122,
  /** 0124H Refused: Not Authorized (PS3.7 Annex C): the client may not store into this study or partition. */
  NotAuthorized: 0x0124,
  /** A7xx Refused: Out of Resources (Table I.2-2; PS3.4 Table B.2-1): storage or memory exhausted. */
  OutOfResources: 0xa700,
  /** A9xx Error: Data Set does not match SOP Class (Table I.2-2; PS3.4 Table B.2-1). */
  DataSetDoesNotMatchSOPClass: 0xa900,
  /**
   * A9xx: the instance's Study Instance UID differs from the study in the request URL. PS3.18 Table
   * 10.5.3-1 names this case a 409 conflict without giving it its own code, so the A9xx failure is used.
   */
  StudyInstanceUIDMismatch: 0xa900,
  /** Cxxx Error: Cannot understand (Table I.2-2; PS3.4 Table B.2-1): not a parsable DICOM data set. */
  CannotUnderstand: 0xc000,
  /** C122H Referenced Transfer Syntax not supported (Table I.2-2). */
  TransferSyntaxNotSupported: 0xc122,
} as const satisfies Record<string, number>;

export type FailureReasonName = keyof typeof FailureReason;

/** PS3.18 §I.2.1 Table I.2-1 "Store Instances Response Warning Reason Values" (PS3.4 Table B.2-1). */
export const WarningReason = {
  /** B000H Coercion of Data Elements: the stored instance has modified attribute values. */
  CoercionOfDataElements: 0xb000,
  /** B006H Elements Discarded: some data elements were not stored. */
  ElementsDiscarded: 0xb006,
  /** B007H Data Set does not match SOP Class: stored although it does not conform to its IOD. */
  DataSetDoesNotMatchSOPClass: 0xb007,
} as const satisfies Record<string, number>;

export type WarningReasonName = keyof typeof WarningReason;
