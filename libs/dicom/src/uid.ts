import { randomBytes } from 'node:crypto';

// PS3.5 §9.1: a UID is at most 64 characters of digits and '.', made of numeric components separated
// by '.'; a component is never empty and has no leading zero unless it is exactly "0".
const uidPattern = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** Whether `uid` is a UID as PS3.5 §9.1 defines it (no padding: strip the trailing NUL first). */
export const isValidUid = (uid: string): boolean => uid.length > 0 && uid.length <= 64 && uidPattern.test(uid);

/**
 * A new UID under the root 2.25 (PS3.5 Annex B.2): "2.25." followed by the decimal form of a 128-bit
 * random number (a version 4 UUID as an integer, ITU-T X.667 / ISO/IEC 9834-8). At most 44 characters.
 */
export function generateUid(): string {
  const bytes = randomBytes(16);
  // RFC 9562 §5.4: version 4, variant 10 — so the number is a valid UUID and its UID is unique by chance alone.
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}
