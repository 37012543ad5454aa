// The STOW-RS response payload: the Store Instances Response Module (PS3.18 Annex I, Table I.1-1), and the
// status that goes with it (PS3.18 §10.5.3.1, Table 10.5.3-1).
import { Tag } from '@pacs/dicom';
import type { DicomJsonDataset } from '../dicom-json';

export interface StoredInstanceReference {
  sopClassUid: string;
  sopInstanceUid: string;
  /** Where the instance can be retrieved (Studies Retrieve Transaction, PS3.18 §10.4). */
  retrieveUrl: string;
  /** A WarningReason code when the instance was stored with a warning (PS3.18 §I.2.1). */
  warningReason?: number;
}

export interface FailedInstanceReference {
  /** '' when the part could not be read far enough to know it. */
  sopClassUid: string;
  sopInstanceUid: string;
  /** A FailureReason code (PS3.18 §I.2.2). */
  failureReason: number;
}

export interface StowOutcome {
  /** The study's URL when the request targeted one study (POST /studies/{study}). */
  retrieveUrl?: string;
  referenced: readonly StoredInstanceReference[];
  failed: readonly FailedInstanceReference[];
}

const ui = (value: string): DicomJsonDataset[string] => (value ? { vr: 'UI', Value: [value] } : { vr: 'UI' });

/**
 * PS3.18 Table I.1-1:
 *   Retrieve URL (0008,1190)            Type 2  the study's URL (empty when the request had no study)
 *   Failed SOP Sequence (0008,1198)     1C      one item per instance not stored
 *     >Referenced SOP Class UID, >Referenced SOP Instance UID (Table 10-11), >Failure Reason (0008,1197)
 *   Referenced SOP Sequence (0008,1199) 1C      one item per instance stored
 *     >Referenced SOP Class UID, >Referenced SOP Instance UID, >Retrieve URL, >Warning Reason (1C)
 * The 1C sequences are present only when they have items.
 */
export function buildStowResponse(outcome: StowOutcome): DicomJsonDataset {
  const response: DicomJsonDataset = {
    [Tag.RetrieveURL]: outcome.retrieveUrl ? { vr: 'UR', Value: [outcome.retrieveUrl] } : { vr: 'UR' },
  };
  if (outcome.failed.length > 0) {
    response[Tag.FailedSOPSequence] = {
      vr: 'SQ',
      Value: outcome.failed.map(
        (f): DicomJsonDataset => ({
          [Tag.ReferencedSOPClassUID]: ui(f.sopClassUid),
          [Tag.ReferencedSOPInstanceUID]: ui(f.sopInstanceUid),
          [Tag.FailureReason]: { vr: 'US', Value: [f.failureReason] },
        }),
      ),
    };
  }
  if (outcome.referenced.length > 0) {
    response[Tag.ReferencedSOPSequence] = {
      vr: 'SQ',
      Value: outcome.referenced.map((r): DicomJsonDataset => {
        const item: DicomJsonDataset = {
          [Tag.ReferencedSOPClassUID]: ui(r.sopClassUid),
          [Tag.ReferencedSOPInstanceUID]: ui(r.sopInstanceUid),
          [Tag.RetrieveURL]: { vr: 'UR', Value: [r.retrieveUrl] },
        };
        if (r.warningReason !== undefined) item[Tag.WarningReason] = { vr: 'US', Value: [r.warningReason] };
        return item;
      }),
    };
  }
  return response;
}

/**
 * The HTTP status of a STOW-RS response (PS3.18 Table 10.5.3-1):
 *   200 every instance stored, none with a warning;
 *   202 some stored, and failures or warnings exist ("stored some of the Instances but warnings or failures
 *       exist for others");
 *   409 none stored, the request itself well formed (e.g. SOP Class not supported, Study Instance UID
 *       mismatch, or a mixture of reasons);
 *   400 none stored because the request is malformed (`malformed`), or it carried no instance at all.
 */
export function stowStatus(outcome: StowOutcome, options: { malformed?: boolean } = {}): 200 | 202 | 400 | 409 {
  const stored = outcome.referenced.length;
  if (stored === 0) return options.malformed || outcome.failed.length === 0 ? 400 : 409;
  const warned = outcome.referenced.some((r) => r.warningReason !== undefined);
  return outcome.failed.length > 0 || warned ? 202 : 200;
}
