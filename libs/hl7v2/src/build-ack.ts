import { resolveHl7Charset } from './charset';
import { buildHeader, buildSegment, type Hl7FieldValue } from './build-hl7';
import { defaultDelimiters, readDelimiters, type Hl7Delimiters } from './delimiters';
import { type Hl7ErrorCode, hl7ErrorText, Hl7ErrorSeverity } from './hl7-error';
import { type Hl7Message } from './hl7-message';
import { parseHl7Path } from './parse-hl7-path';

/** HL7 table 0008 "Acknowledgment code" (MSA-1). Original mode uses AA/AE/AR, enhanced mode CA/CE/CR. */
export const AckCode = {
  ApplicationAccept: 'AA',
  ApplicationError: 'AE',
  ApplicationReject: 'AR',
  CommitAccept: 'CA',
  CommitError: 'CE',
  CommitReject: 'CR',
} as const;
export type AckCode = (typeof AckCode)[keyof typeof AckCode];

/** The error reported in the ERR segment. */
export interface AckError {
  /** Table 0357 (ERR-3, v2.5+; ERR-1.4 before). */
  readonly code: Hl7ErrorCode;
  /** Table 0516 (ERR-4); 'E' by default. */
  readonly severity?: Hl7ErrorSeverity;
  /** Told to the sender (ERR-8 user message from v2.5; MSA-3 before v2.7). */
  readonly text?: string;
  /** A path of this library: 'PID-5', 'MSH-9-2', 'OBX[2]-5' or a segment ID alone ('MSH'). */
  readonly location?: string;
}

/** What the receiving application answers (original acknowledgment mode, v2.5 §2.9.2). */
export interface AckSpec {
  readonly code: 'AA' | 'AE' | 'AR';
  /** MSA-3 text message (v2.3–v2.6; withdrawn in v2.7). */
  readonly text?: string;
  readonly error?: AckError;
}

export interface BuildAckOptions {
  readonly now?: Date;
  /** MSH-10 of the ACK; a fresh id by default. */
  readonly controlId?: string;
}

/** The header fields of the message acknowledged, read from a parsed message or, leniently, raw text. */
interface AckSource {
  readonly delimiters: Hl7Delimiters;
  readonly field: (n: number) => string;
}

const versionPattern = /^2\.\d+(\.\d+)*$/;

function versionAtLeast(version: string, major: number, minor: number, patch = 0): boolean {
  const [a = 0, b = 0, c = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}

// A message we could not parse still gets an ACK that echoes whatever of its MSH can be read.
function sourceFromText(text: string): AckSource {
  const line = (text.replace(/^[\uFEFF\r\n\t ]+/, '').split(/\r\n|\r|\n/)[0] ?? '').slice(0, 65536);
  if (!line.startsWith('MSH')) return { delimiters: defaultDelimiters, field: () => '' };
  let delimiters: Hl7Delimiters;
  try {
    delimiters = readDelimiters(line);
  } catch {
    return { delimiters: defaultDelimiters, field: () => '' };
  }
  const fields = ['MSH', delimiters.field, ...line.slice(4).split(delimiters.field)];
  return { delimiters, field: (n) => fields[n] ?? '' };
}

function sourceFromMessage(message: Hl7Message): AckSource {
  return { delimiters: message.delimiters, field: (n) => message.header.raw(n) };
}

const firstComponent = (raw: string, d: Hl7Delimiters): string =>
  (raw.split(d.repetition)[0] ?? '').split(d.component)[0] ?? '';

// MSH-18 is echoed so that the ACK is read as the message was; a charset we cannot encode is not.
function echoableCharset(msh18: string): string | undefined {
  if (!msh18) return undefined;
  try {
    resolveHl7Charset(msh18);
    return msh18;
  } catch {
    return undefined;
  }
}

/** ERR-2 (ERL data type, v2.5 §2.A.27) for a location path. */
function errorLocation(location: string | undefined): string[] | undefined {
  if (!location) return undefined;
  const segmentOnly = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?$/.exec(location);
  if (segmentOnly) return [segmentOnly[1] as string, segmentOnly[2] ?? '1'];
  try {
    const p = parseHl7Path(location);
    return [
      p.segment,
      String(p.segmentIndex ?? 1),
      String(p.field),
      p.repetition || p.component ? String(p.repetition ?? 1) : '',
      p.component ? String(p.component) : '',
      p.subcomponent ? String(p.subcomponent) : '',
    ];
  } catch {
    return undefined;
  }
}

/**
 * The acknowledgment of a message (v2.5 §2.9.2 original mode; ACK structure §2.14.1): MSH + MSA (+ ERR).
 * It uses the delimiters, version (MSH-12), processing id (MSH-11) and charset (MSH-18) of the message
 * acknowledged, swaps sending and receiving application/facility, and echoes MSH-10 in MSA-2.
 * ERR follows the layout of that version: ERR-2 location, ERR-3 code (table 0357), ERR-4 severity and
 * ERR-8 user message from v2.5; ERR-1 (ELD: segment^sequence^field^code&text&HL70357) before.
 * `message` may be raw text the parser rejected: what of its MSH can be read is echoed.
 */
export function buildAck(message: Hl7Message | string, spec: AckSpec, options: BuildAckOptions = {}): string {
  const source = typeof message === 'string' ? sourceFromText(message) : sourceFromMessage(message);
  const d = source.delimiters;
  const enc = (raw: string): Hl7FieldValue => ({ encoded: raw });
  const receivedVersion = firstComponent(source.field(12), d).trim();
  const version = versionPattern.test(receivedVersion) ? receivedVersion : '2.5.1';
  const trigger = (source.field(9).split(d.repetition)[0] ?? '').split(d.component)[1] ?? '';
  // MSG (MSH-9) has three components from v2.3.1 on: ACK^<trigger>^ACK.
  const messageType = !trigger ? 'ACK' : versionAtLeast(version, 2, 3, 1) ? `ACK^${trigger}^ACK` : `ACK^${trigger}`;
  const processingId = firstComponent(source.field(11), d).trim() || 'P';

  const header = buildHeader(
    {
      sendingApplication: enc(source.field(5)),
      sendingFacility: enc(source.field(6)),
      receivingApplication: enc(source.field(3)),
      receivingFacility: enc(source.field(4)),
      dateTime: options.now ?? new Date(),
      messageType,
      controlId: options.controlId,
      processingId: { encoded: processingId },
      version,
      charset: echoableCharset(firstComponent(source.field(18), d)),
    },
    d,
  );

  const error = spec.error;
  const text = spec.text ?? error?.text;
  const withdrawnMsa3 = versionAtLeast(version, 2, 7);
  const msa = buildSegment(
    { name: 'MSA', fields: [spec.code, { encoded: source.field(10) }, withdrawnMsa3 ? undefined : text] },
    d,
  );
  const segments = [header, msa];
  if (error) {
    const errorCode = [String(error.code), hl7ErrorText[error.code] ?? '', 'HL70357'];
    const location = errorLocation(error.location);
    if (versionAtLeast(version, 2, 5)) {
      segments.push(
        buildSegment(
          {
            name: 'ERR',
            fields: {
              2: location ?? undefined,
              3: errorCode,
              4: error.severity ?? Hl7ErrorSeverity.Error,
              8: error.text,
            },
          },
          d,
        ),
      );
    } else {
      const [segment = '', sequence = '', field = ''] = location ?? [];
      segments.push(buildSegment({ name: 'ERR', fields: [[segment, sequence, field, errorCode]] }, d));
    }
  }
  return segments.join('\r');
}
