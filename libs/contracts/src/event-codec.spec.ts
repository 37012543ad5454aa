import { create, equals, type DescMessage } from '@bufbuild/protobuf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ContractDecodeError,
  EventTypeHeader,
  IndexOutcome,
  InstanceIndexedSchema,
  InstanceStoredSchema,
  PatientsMergedSchema,
  decodeEvent,
  decodeInstanceDeleted,
  decodeInstanceIndexed,
  decodeInstanceStored,
  decodePatientUpdated,
  decodePatientsMerged,
  encodeEvent,
  encodeInstanceDeleted,
  encodeInstanceIndexed,
  encodeInstanceStored,
  encodePatientUpdated,
  encodePatientsMerged,
  eventHeaders,
} from './index';
import { goldenEvents } from './fixtures/v1/golden-events';

const toHex = (bytes: Uint8Array): string =>
  (
    Buffer.from(bytes)
      .toString('hex')
      .match(/.{1,64}/g) ?? []
  ).join('\n') + '\n';
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

describe('golden v1 events', () => {
  it.each(goldenEvents.map((g) => [g.file, g] as const))('%s still decodes into its expected values', (file, g) => {
    const path = join(__dirname, 'fixtures', 'v1', file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // A new golden: the failure prints the bytes to commit (fixtures/v1/README.md).
      throw new Error(
        `missing golden ${path}; commit these bytes as that file:\n${toHex(encodeEvent(g.schema, g.expected))}`,
      );
    }
    const decoded = decodeEvent(g.schema, fromHex(text));
    const expected = create(g.schema, g.expected);
    expect(decoded).toEqual(expected);
    expect(equals(g.schema as DescMessage, decoded, expected)).toBe(true);
  });

  it('covers every event type of v1', () => {
    const covered = new Set(goldenEvents.map((g) => g.schema.typeName));
    expect([...covered].sort()).toEqual([
      'pacs.events.v1.InstanceDeleted',
      'pacs.events.v1.InstanceIndexed',
      'pacs.events.v1.InstanceStored',
      'pacs.events.v1.PatientUpdated',
      'pacs.events.v1.PatientsMerged',
    ]);
  });
});

describe('encode and decode', () => {
  it('round-trips an InstanceStored with both oneof cases, 64-bit sizes and nested frames', () => {
    const json = new TextEncoder().encode('{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Ĳsselmeer^Zoë"}]}}');
    const event = {
      partition: 'default',
      studyInstanceUid: '1.2.3',
      seriesInstanceUid: '1.2.3.4',
      sopInstanceUid: '1.2.3.4.5',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      blobKey: 'k',
      size: 2n ** 53n + 1n,
      sha256: 'ab'.repeat(32),
      ingestId: 'i',
      requestId: 'r',
      storedAt: 1_767_225_600_000n,
      metadata: { case: 'datasetJson' as const, value: json },
      pixelData: {
        encapsulated: false,
        valueOffset: 1024n,
        valueLength: 524_288n,
        tag: '7FE00010',
        vr: 'OW',
        frames: [{ ranges: [{ offset: 1024n, length: 524_288n }] }],
      },
      bulk: [{ path: '00282000', vr: 'OB', offset: 900n, length: 100n }],
    };
    const decoded = decodeInstanceStored(encodeInstanceStored(event));
    expect(decoded).toEqual(create(InstanceStoredSchema, event));
    expect(decoded.size).toBe(9_007_199_254_740_993n);
    expect(new TextDecoder().decode(decoded.metadata.value as Uint8Array)).toContain('Ĳsselmeer^Zoë');

    const inBlob = decodeInstanceStored(
      encodeInstanceStored({ ...event, metadata: { case: 'datasetJsonBlobKey', value: 'meta/1.json' } }),
    );
    expect(inBlob.metadata).toEqual({ case: 'datasetJsonBlobKey', value: 'meta/1.json' });
    expect(inBlob.pixelData?.valueLength).toBe(524_288n);
  });

  it('tells an absent pixel data index and value length from zero', () => {
    const decoded = decodeInstanceStored(
      encodeInstanceStored({ sopInstanceUid: '1.2', pixelData: { encapsulated: true, valueOffset: 0n } }),
    );
    expect(decoded.pixelData?.valueLength).toBeUndefined();
    expect(decodeInstanceStored(encodeInstanceStored({ sopInstanceUid: '1.2' })).pixelData).toBeUndefined();
  });

  it('round-trips every other event type', () => {
    const indexed = { sopInstanceUid: '1.2', outcome: IndexOutcome.ALREADY_INDEXED, indexedAt: 5n, reason: 'dup' };
    expect(decodeInstanceIndexed(encodeInstanceIndexed(indexed))).toEqual(create(InstanceIndexedSchema, indexed));
    const deleted = decodeInstanceDeleted(encodeInstanceDeleted({ sopInstanceUid: '9.9', deletedAt: 7n }));
    expect([deleted.sopInstanceUid, deleted.deletedAt]).toEqual(['9.9', 7n]);
    const updated = decodePatientUpdated(
      encodePatientUpdated({
        patient: { patientId: 'P1', issuerOfPatientId: 'I' },
        patientModuleJson: Uint8Array.of(123, 125),
      }),
    );
    expect(updated.patient).toMatchObject({ patientId: 'P1', issuerOfPatientId: 'I' });
    expect(updated.patientModuleJson).toEqual(Uint8Array.of(123, 125));
    const merged = { surviving: { patientId: 'A' }, merged: { patientId: 'B' }, source: 'hl7:ADT^A40' };
    expect(decodePatientsMerged(encodePatientsMerged(merged))).toEqual(create(PatientsMergedSchema, merged));
  });

  it('keeps fields added by a newer producer and writes them back', () => {
    // Field 99, wire type 2 (tag 99 << 3 | 2 = 794, varint 9a 06), 3 bytes "new": what a later version might add.
    const unknown = Uint8Array.of(0x9a, 0x06, 3, 0x6e, 0x65, 0x77);
    const bytes = new Uint8Array([...encodeInstanceIndexed({ sopInstanceUid: '1.2' }), ...unknown]);
    const decoded = decodeInstanceIndexed(bytes);
    expect(decoded.sopInstanceUid).toBe('1.2');
    expect(Buffer.from(encodeEvent(InstanceIndexedSchema, decoded)).toString('hex')).toContain(
      Buffer.from(unknown).toString('hex'),
    );
  });

  it('reads an enum value it does not know as its number', () => {
    // outcome (field 7, varint) = 42
    const decoded = decodeInstanceIndexed(Uint8Array.of(7 << 3, 42));
    expect(decoded.outcome).toBe(42);
    expect(IndexOutcome[decoded.outcome]).toBeUndefined();
  });
});

describe('errors and headers', () => {
  it('throws a non-retryable ContractDecodeError for bytes that are not protobuf', () => {
    // Field 2 (study_instance_uid), length-delimited, claims 100 bytes but has 2.
    const truncated = Uint8Array.of((2 << 3) | 2, 100, 0x31, 0x2e);
    const error = (() => {
      try {
        decodeInstanceStored(truncated);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ContractDecodeError);
    expect(error).toMatchObject({ retryable: false, typeName: 'pacs.events.v1.InstanceStored' });
  });

  it('refuses a message whose type header names another event', () => {
    const bytes = encodePatientsMerged({ source: 'x' });
    expect(() => decodeInstanceStored(bytes, eventHeaders(PatientsMergedSchema))).toThrow(ContractDecodeError);
    expect(decodePatientsMerged(bytes, eventHeaders(PatientsMergedSchema)).source).toBe('x');
  });

  it('names the full protobuf type in the event type header', () => {
    expect(eventHeaders(InstanceStoredSchema)).toEqual({ [EventTypeHeader]: 'pacs.events.v1.InstanceStored' });
  });
});
