/**
 * HL7 table 0357 "Message error condition codes" (v2.5 §2.15.5 ERR-3; v2.8 §2.A.3). The code travels in
 * ERR-3 (v2.5+) or ERR-1.4 (v2.3–v2.4) of the acknowledgment.
 */
export const Hl7ErrorCode = {
  MessageAccepted: 0,
  SegmentSequenceError: 100,
  RequiredFieldMissing: 101,
  DataTypeError: 102,
  TableValueNotFound: 103,
  ValueTooLong: 104,
  UnsupportedMessageType: 200,
  UnsupportedEventCode: 201,
  UnsupportedProcessingId: 202,
  UnsupportedVersionId: 203,
  UnknownKeyIdentifier: 204,
  DuplicateKeyIdentifier: 205,
  ApplicationRecordLocked: 206,
  ApplicationInternalError: 207,
} as const;
export type Hl7ErrorCode = (typeof Hl7ErrorCode)[keyof typeof Hl7ErrorCode];

/** The text table 0357 gives each code; ERR-3.2. */
export const hl7ErrorText: Readonly<Record<Hl7ErrorCode, string>> = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  104: 'Value too long',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
};

/** HL7 table 0516 "Error severity" (ERR-4, v2.5+). */
export const Hl7ErrorSeverity = { Warning: 'W', Information: 'I', Error: 'E', Fatal: 'F' } as const;
export type Hl7ErrorSeverity = (typeof Hl7ErrorSeverity)[keyof typeof Hl7ErrorSeverity];

/**
 * Codes that make a receiver reject the message (MSA-1 = AR) rather than report an application error (AE):
 * HL7 v2.5 §2.9.2.1 — the receiver rejects a message whose MSH-9 (type, event), MSH-11 (processing id) or
 * MSH-12 (version) it does not accept, and one it cannot parse at all.
 */
export const rejectingErrorCodes: ReadonlySet<Hl7ErrorCode> = new Set([
  Hl7ErrorCode.UnsupportedMessageType,
  Hl7ErrorCode.UnsupportedEventCode,
  Hl7ErrorCode.UnsupportedProcessingId,
  Hl7ErrorCode.UnsupportedVersionId,
]);

/**
 * An error the sender is told about in the ERR segment of the ACK. `location` is a path of this library
 * ('PID-5', 'MSH-9-2', 'OBX[2]-5') and becomes ERR-2 (ERL).
 */
export class Hl7Error extends Error {
  override readonly name: string = 'Hl7Error';
  readonly location: string | undefined;
  constructor(
    readonly code: Hl7ErrorCode,
    message: string,
    options?: ErrorOptions & { location?: string },
  ) {
    super(message, options);
    this.location = options?.location;
  }
}

/** The message text (or its bytes) does not follow the HL7 v2 encoding rules (v2.5 §2.5–2.7). */
export class Hl7ParseError extends Hl7Error {
  override readonly name = 'Hl7ParseError';
}
