import { createHash } from 'node:crypto';

/** The namespace of this PACS's name-based UUIDs (a random version 4 UUID, fixed once). */
const namespace = Buffer.from('d8bf445f35f24591a488d82c6ff2d8be', 'hex');

/**
 * A UID that is always the same for the same name: "2.25." and the integer of a name-based UUID (RFC 9562
 * §5.5, version 5, SHA-1), as PS3.5 Annex B.2 allows any UUID under 2.25. The hl7 feature derives
 * workitem UIDs from order numbers and its Transaction UIDs from workitem UIDs, so a message received twice
 * names the same workitem.
 */
export function uidFromName(name: string): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${hash.toString('hex')}`).toString(10)}`;
}
