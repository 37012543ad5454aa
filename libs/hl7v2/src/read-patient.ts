import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { HL7_NULL, type Hl7Segment } from './hl7-message';
import {
  hl7SexToDicom,
  hl7ToDicomDate,
  hl7ToDicomTime,
  putAttribute,
  putSequence,
  updateOf,
  xpnToPersonName,
  type Hl7Update,
} from './hl7-to-dicom';

/**
 * A patient identifier (CX, v2.5 §2.A.14): ID ^ check digit ^ check scheme ^ assigning authority (HD:
 * namespace & universal id & universal id type) ^ identifier type code (table 0203: MR, PI, …).
 */
export interface PatientIdentifier {
  readonly id: string;
  /** CX.4.1 namespace id → Issuer of Patient ID (0010,0021). */
  readonly issuer: string;
  /** CX.4.2 → Issuer of Patient ID Qualifiers Sequence > Universal Entity ID (0040,0032). */
  readonly universalId: string;
  /** CX.4.3 (ISO, DNS, …) → > Universal Entity ID Type (0040,0033). */
  readonly universalIdType: string;
  /** CX.5 → > Identifier Type Code (0040,0035). */
  readonly typeCode: string;
}

export interface ReadPatientOptions {
  /**
   * The assigning authority whose identifier is the patient's primary one: a PID-3 repetition whose
   * CX.4.1 namespace or CX.4.2 universal id equals it. Without it, or when none matches, the first
   * repetition with an ID is primary.
   */
  readonly issuer?: string;
}

/**
 * The patient of a PID segment. Every demographic is an update value (undefined: not sent; null: sent as
 * the HL7 null "", i.e. delete). `attributes` holds the same as DICOM JSON, keyed by tag, with the same
 * rule: a left-out attribute was not sent, an attribute without Value is to be cleared.
 */
export interface PatientDemographics {
  readonly patientId: string;
  readonly issuer: string;
  readonly identifier: PatientIdentifier;
  /** The other PID-3 repetitions, and PID-2 / PID-4 (retained for backward compatibility). */
  readonly otherIds: readonly PatientIdentifier[];
  /** DICOM PN: family^given^middle^prefix^suffix, with '=' groups for ideographic/phonetic names. */
  readonly name: Hl7Update<string>;
  readonly birthDate: Hl7Update<string>;
  readonly birthTime: Hl7Update<string>;
  readonly sex: Hl7Update<'M' | 'F' | 'O' | ''>;
  readonly motherBirthName: Hl7Update<string>;
  readonly attributes: DicomJsonDataset;
}

/** Reads the CX of one repetition. */
export function readIdentifier(segment: Hl7Segment, field: number, rep: number): PatientIdentifier {
  return {
    id: segment.value(field, rep, 1).trim(),
    issuer: segment.value(field, rep, 4, 1).trim(),
    universalId: segment.value(field, rep, 4, 2).trim(),
    universalIdType: segment.value(field, rep, 4, 3).trim(),
    typeCode: segment.value(field, rep, 5).trim(),
  };
}

/** Every identifier of a CX field, in order, without empty or HL7-null ones. */
export function readIdentifiers(segment: Hl7Segment, field: number): PatientIdentifier[] {
  const out: PatientIdentifier[] = [];
  for (let rep = 1; rep <= segment.repetitionCount(field); rep++) {
    const cx = readIdentifier(segment, field, rep);
    if (cx.id !== '' && cx.id !== HL7_NULL) out.push(cx);
  }
  return out;
}

/** Picks the primary identifier (see ReadPatientOptions.issuer). */
export function primaryIdentifier(ids: readonly PatientIdentifier[], issuer?: string): PatientIdentifier | undefined {
  if (issuer) {
    const match = ids.find((cx) => cx.issuer === issuer || cx.universalId === issuer);
    if (match) return match;
  }
  return ids[0];
}

/** The DICOM attributes of a patient identifier: ID, issuer and its qualifiers (PS3.3 C.7.1.1, 10.14). */
export function identifierAttributes(cx: PatientIdentifier): DicomJsonDataset {
  const ds: DicomJsonDataset = {};
  putAttribute(ds, Tag.PatientID, 'LO', cx.id);
  putAttribute(ds, Tag.IssuerOfPatientID, 'LO', cx.issuer || undefined);
  const qualifiers: DicomJsonDataset = {};
  putAttribute(qualifiers, Tag.UniversalEntityID, 'UT', cx.universalId || undefined);
  putAttribute(qualifiers, Tag.UniversalEntityIDType, 'CS', cx.universalIdType || undefined);
  putAttribute(qualifiers, Tag.IdentifierTypeCode, 'CS', cx.typeCode || undefined);
  putSequence(ds, Tag.IssuerOfPatientIDQualifiersSequence, qualifiers);
  return ds;
}

// XPN.8 name representation code (table 4000): A alphabetic, I ideographic, P phonetic — the three
// component groups of DICOM PN (PS3.5 6.2.1.2). XPN.7 name type L (legal) is preferred.
function personNameOf(pid: Hl7Segment, field: number): Hl7Update<string> {
  if (pid.raw(field) === HL7_NULL) return null;
  const reps = Array.from({ length: pid.repetitionCount(field) }, (_, i) => ({
    parts: pid.components(field, i + 1),
    type: pid.value(field, i + 1, 7).trim(),
    representation: pid.value(field, i + 1, 8).trim(),
  })).filter((r) => r.parts.some((p) => p.trim() !== ''));
  if (reps.length === 0) return undefined;
  const alphabetic = reps.filter((r) => r.representation === '' || r.representation === 'A');
  const main = alphabetic.find((r) => r.type === 'L') ?? alphabetic[0] ?? reps[0];
  const group = (code: string): string => {
    const r = reps.find((x) => x.representation === code && x !== main);
    return r ? xpnToPersonName(r.parts) : '';
  };
  const groups = [main ? xpnToPersonName(main.parts) : '', group('I'), group('P')];
  while (groups.length > 1 && groups[groups.length - 1] === '') groups.pop();
  return groups.join('=');
}

/**
 * Reads a PID segment (v2.5 §3.4.2) into DICOM terms. Mapping (IHE RAD TF-2x Appendix B, HL7 order
 * mapping to DICOM MWL, patient rows; PS3.3 C.7.1.1 Patient Module):
 *   PID-3.1 → Patient ID (0010,0020); PID-3.4 → Issuer of Patient ID (0010,0021) + qualifiers;
 *   other PID-3 repetitions, PID-2, PID-4 → Other Patient IDs Sequence (0010,1002);
 *   PID-5 → Patient's Name (0010,0010); PID-6 → Patient's Mother's Birth Name (0010,1060);
 *   PID-7 → Patient's Birth Date (0010,0030) / Birth Time (0010,0032); PID-8 → Patient's Sex (0010,0040).
 * Throws Hl7Error 101 at PID-3 when no identifier is present.
 */
export function readPatient(pid: Hl7Segment, options: ReadPatientOptions = {}): PatientDemographics {
  const ids = readIdentifiers(pid, 3);
  const identifier = primaryIdentifier(ids, options.issuer);
  if (!identifier) {
    throw new Hl7Error(Hl7ErrorCode.RequiredFieldMissing, 'PID-3 (patient identifier list) has no identifier', {
      location: `PID[${pid.index}]-3`,
    });
  }
  const otherIds = [...ids.filter((cx) => cx !== identifier), ...readIdentifiers(pid, 2), ...readIdentifiers(pid, 4)];

  const name = personNameOf(pid, 5);
  const motherBirthName = personNameOf(pid, 6);
  const birth = updateOf(pid, 7);
  const birthDate = birth === null ? null : birth === undefined ? undefined : (hl7ToDicomDate(birth) ?? undefined);
  const birthTime = birth === null ? null : birth === undefined ? undefined : (hl7ToDicomTime(birth) ?? undefined);
  const sexValue = updateOf(pid, 8);
  const sex = sexValue === null ? null : sexValue === undefined ? undefined : hl7SexToDicom(sexValue);

  const attributes: DicomJsonDataset = identifierAttributes(identifier);
  if (otherIds.length > 0) {
    attributes[Tag.OtherPatientIDsSequence] = {
      vr: 'SQ',
      Value: otherIds.map((cx) => {
        const item = identifierAttributes(cx);
        // PS3.3 C.7.1.1: Type of Patient ID (0010,0022) is type 1 in the item; TEXT for plain identifiers.
        putAttribute(item, Tag.TypeOfPatientID, 'CS', 'TEXT');
        return item;
      }),
    };
  }
  putAttribute(attributes, Tag.PatientName, 'PN', name);
  putAttribute(attributes, Tag.PatientMotherBirthName, 'PN', motherBirthName);
  putAttribute(attributes, Tag.PatientBirthDate, 'DA', birthDate);
  putAttribute(attributes, Tag.PatientBirthTime, 'TM', birthTime);
  if (sex === null || sex === '') attributes[Tag.PatientSex] = { vr: 'CS' };
  else if (sex !== undefined) putAttribute(attributes, Tag.PatientSex, 'CS', sex);

  return {
    patientId: identifier.id,
    issuer: identifier.issuer,
    identifier,
    otherIds,
    name,
    birthDate,
    birthTime,
    sex,
    motherBirthName,
    attributes,
  };
}
