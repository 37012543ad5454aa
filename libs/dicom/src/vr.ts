// PS3.5 §6.2 Table 6.2-1 (Value Representations), §7.1.2 (Explicit VR: which VRs have a 32-bit
// length field) and PS3.18 Table F.2.3-1 (how each VR is carried in the DICOM JSON model).
//
// kind:
//   text      character string; values separated by '\' unless `multiValued` is false
//   number    binary numbers (fixed `size` bytes each, byte order of the transfer syntax)
//   tag       AT: pairs of 16-bit group/element numbers
//   binary    OB OD OF OL OV OW UN: one opaque value (InlineBinary or BulkDataURI in JSON)
//   sequence  SQ

/** One row of the VR table. */
export interface VrInfo {
  readonly kind: 'text' | 'number' | 'tag' | 'binary' | 'sequence';
  /** Explicit VR header: 2-byte length (8-byte header) or 2 reserved bytes + 4-byte length (12-byte header). PS3.5 §7.1.2. */
  readonly lengthBytes: 2 | 4;
  /** Byte used to pad a value to even length (PS3.5 §6.2): space for text, NUL for UI and binary. */
  readonly padding: 0x20 | 0x00;
  /** Bytes of one value for binary numbers and the unit of byte swapping for OW/OF/OL/OD/OV; 1 otherwise. */
  readonly size: 1 | 2 | 4 | 8;
  /** PS3.5 §6.1.2.3: Specific Character Set (0008,0005) applies to SH, LO, ST, LT, UC, UT and PN only. */
  readonly charset: boolean;
  /** Whether '\' separates values (false for LT, ST, UT, UR where a backslash is an ordinary character). */
  readonly multiValued: boolean;
  /** PS3.18 Table F.2.3-1 / §F.2.6: the VRs whose value may be sent as a BulkDataURI. */
  readonly bulkData: boolean;
  /** PS3.18 §F.2.7: the VRs whose value is carried as base64 InlineBinary. */
  readonly inlineBinary: boolean;
  /** Largest value length in bytes (characters for text) PS3.5 allows per value, or undefined when unbounded. */
  readonly maxLength?: number;
}

const text = (maxLength: number | undefined, more: Partial<VrInfo> = {}): VrInfo => ({
  kind: 'text',
  lengthBytes: 2,
  padding: 0x20,
  size: 1,
  charset: false,
  multiValued: true,
  bulkData: false,
  inlineBinary: false,
  ...(maxLength === undefined ? {} : { maxLength }),
  ...more,
});
const number = (size: 2 | 4 | 8, more: Partial<VrInfo> = {}): VrInfo => ({
  kind: 'number',
  lengthBytes: 2,
  padding: 0x00,
  size,
  charset: false,
  multiValued: true,
  bulkData: true,
  inlineBinary: false,
  ...more,
});
const binary = (size: 1 | 2 | 4 | 8): VrInfo => ({
  kind: 'binary',
  lengthBytes: 4,
  padding: 0x00,
  size,
  charset: false,
  multiValued: false,
  bulkData: true,
  inlineBinary: true,
});

export const VR = {
  AE: text(16),
  AS: text(4),
  AT: { ...number(4, { bulkData: false }), kind: 'tag' },
  CS: text(16),
  DA: text(8),
  DS: text(16, { bulkData: true }),
  DT: text(26),
  FD: number(8),
  FL: number(4),
  IS: text(12, { bulkData: true }),
  LO: text(64, { charset: true }),
  LT: text(10240, { charset: true, multiValued: false, bulkData: true }),
  OB: binary(1),
  OD: binary(8),
  OF: binary(4),
  OL: binary(4),
  OV: binary(8),
  OW: binary(2),
  PN: text(64 * 3 + 2, { charset: true }),
  SH: text(16, { charset: true }),
  SL: number(4),
  SQ: {
    kind: 'sequence',
    lengthBytes: 4,
    padding: 0x00,
    size: 1,
    charset: false,
    multiValued: false,
    bulkData: false,
    inlineBinary: false,
  },
  SS: number(2),
  ST: text(1024, { charset: true, multiValued: false, bulkData: true }),
  SV: number(8, { lengthBytes: 4 }),
  TM: text(14),
  UC: text(undefined, { charset: true, lengthBytes: 4, bulkData: true }),
  UI: text(64, { padding: 0x00 }),
  UL: number(4),
  UN: binary(1),
  UR: text(undefined, { lengthBytes: 4, multiValued: false }),
  US: number(2),
  UT: text(undefined, { charset: true, lengthBytes: 4, multiValued: false, bulkData: true }),
  UV: number(8, { lengthBytes: 4 }),
} as const satisfies Record<string, VrInfo>;

export type Vr = keyof typeof VR;

/** Is `vr` one of the two-letter VRs of PS3.5 Table 6.2-1? */
export const isVr = (vr: string): vr is Vr => Object.hasOwn(VR, vr);

/** The table row of a VR, or undefined for anything that is not a VR. */
export const vrInfo = (vr: string): VrInfo | undefined => (isVr(vr) ? VR[vr] : undefined);

/** OB OD OF OL OV OW UN: values kept as bytes, which may become bulk data (PS3.18 §F.2.6/§F.2.7). */
export const isBinaryVr = (vr: string): boolean => vrInfo(vr)?.kind === 'binary';
