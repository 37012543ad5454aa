import { Tag } from '@pacs/dicom';
import { buildStowResponse, stowStatus, type StowOutcome } from './build-stow-response';
import { FailureReason, WarningReason } from './reasons';

const stored = (n: number, warningReason?: number) => ({
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  sopInstanceUid: `1.2.3.${n}`,
  retrieveUrl: `https://pacs.example/dicomweb/studies/1.2/series/1.2.9/instances/1.2.3.${n}`,
  ...(warningReason === undefined ? {} : { warningReason }),
});
const failed = (n: number, failureReason: number) => ({
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  sopInstanceUid: `1.2.4.${n}`,
  failureReason,
});

describe('buildStowResponse', () => {
  it('writes the Store Instances Response Module (PS3.18 Table I.1-1) in DICOM JSON', () => {
    const response = buildStowResponse({
      retrieveUrl: 'https://pacs.example/dicomweb/studies/1.2',
      referenced: [stored(1), stored(2, WarningReason.CoercionOfDataElements)],
      failed: [failed(1, FailureReason.SOPClassNotSupported)],
    });
    expect(response).toEqual({
      [Tag.RetrieveURL]: { vr: 'UR', Value: ['https://pacs.example/dicomweb/studies/1.2'] },
      [Tag.FailedSOPSequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.ReferencedSOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
            [Tag.ReferencedSOPInstanceUID]: { vr: 'UI', Value: ['1.2.4.1'] },
            [Tag.FailureReason]: { vr: 'US', Value: [0x0122] },
          },
        ],
      },
      [Tag.ReferencedSOPSequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.ReferencedSOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
            [Tag.ReferencedSOPInstanceUID]: { vr: 'UI', Value: ['1.2.3.1'] },
            [Tag.RetrieveURL]: { vr: 'UR', Value: [stored(1).retrieveUrl] },
          },
          {
            [Tag.ReferencedSOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
            [Tag.ReferencedSOPInstanceUID]: { vr: 'UI', Value: ['1.2.3.2'] },
            [Tag.RetrieveURL]: { vr: 'UR', Value: [stored(2).retrieveUrl] },
            [Tag.WarningReason]: { vr: 'US', Value: [0xb000] },
          },
        ],
      },
    });
  });

  it('keeps the Type 2 Retrieve URL empty without a study, and leaves out empty 1C sequences', () => {
    const response = buildStowResponse({ referenced: [], failed: [failed(1, FailureReason.CannotUnderstand)] });
    expect(Object.keys(response).sort()).toEqual([Tag.RetrieveURL, Tag.FailedSOPSequence].sort());
    expect(response[Tag.RetrieveURL]).toEqual({ vr: 'UR' });
    expect(buildStowResponse({ referenced: [stored(1)], failed: [] })[Tag.FailedSOPSequence]).toBeUndefined();
  });

  it('writes empty UIDs of an unreadable part as empty attributes', () => {
    const response = buildStowResponse({
      referenced: [],
      failed: [{ sopClassUid: '', sopInstanceUid: '', failureReason: FailureReason.CannotUnderstand }],
    });
    expect(
      (response[Tag.FailedSOPSequence]!.Value![0] as Record<string, unknown>)[Tag.ReferencedSOPInstanceUID],
    ).toEqual({
      vr: 'UI',
    });
  });
});

describe('stowStatus (PS3.18 Table 10.5.3-1)', () => {
  const outcome = (referenced: StowOutcome['referenced'], failures: StowOutcome['failed']): StowOutcome => ({
    referenced,
    failed: failures,
  });

  it.each([
    ['every instance stored', outcome([stored(1), stored(2)], []), {}, 200],
    ['stored with a warning', outcome([stored(1, WarningReason.ElementsDiscarded)], []), {}, 202],
    ['some failed', outcome([stored(1)], [failed(1, FailureReason.ProcessingFailure)]), {}, 202],
    ['none stored, a conflict', outcome([], [failed(1, FailureReason.StudyInstanceUIDMismatch)]), {}, 409],
    ['none stored, mixed reasons', outcome([], [failed(1, 0xa700), failed(2, 0x0122)]), {}, 409],
    [
      'none stored, malformed request',
      outcome([], [failed(1, FailureReason.CannotUnderstand)]),
      { malformed: true },
      400,
    ],
    ['no instance at all', outcome([], []), {}, 400],
  ] as const)('answers for %s', (_, o, options, status) => {
    expect(stowStatus(o, options)).toBe(status);
  });
});

describe('FailureReason and WarningReason', () => {
  it('have the values of PS3.18 Annex I and PS3.4 Table B.2-1', () => {
    expect(FailureReason).toMatchObject({
      ProcessingFailure: 272,
      SOPClassNotSupported: 290,
      OutOfResources: 42752,
      DataSetDoesNotMatchSOPClass: 43264,
      CannotUnderstand: 49152,
      TransferSyntaxNotSupported: 49442,
      DuplicateSOPInstance: 0x0111,
    });
    expect(WarningReason).toEqual({
      CoercionOfDataElements: 0xb000,
      ElementsDiscarded: 0xb006,
      DataSetDoesNotMatchSOPClass: 0xb007,
    });
  });
});
