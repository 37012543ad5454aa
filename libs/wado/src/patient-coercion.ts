// The current Patient module applied to a stored instance on retrieval. The RIS / EHR is the source of truth for
// demographics (HL7 ADT → patient.updated, merges → patients.merged); the index keeps the current record of
// each patient, and WADO-RS shows an instance's Patient module (PS3.3 C.7.1.1) as that record says, while the
// stored original stays as it was received (its SHA-256 unchanged). This file decides what differs; the
// metadata (coercePatientModule) and the Part 10 instances (replaceTopLevelElements, or a whole rewrite) apply it.
import {
  CharsetError,
  encodeDataSetElements,
  stringValue,
  Tag,
  type DicomJsonDataset,
  type DicomJsonElement,
  type PersonNameJson,
} from '@pacs/dicom';
import type { CoercionFacts } from '@pacs/auth';
import { patientLevelTags, type PatientRecord } from '@pacs/index';

/** What retrieval changes in one instance so that it shows its patient's current record. */
export interface PatientCoercion {
  /** The attributes whose stored values are replaced, in tag order: what the audit trail names (never values). */
  tags: readonly string[];
  /** The elements written instead, by tag (null: left out). */
  elements: Readonly<Record<string, DicomJsonElement | null>>;
  /**
   * The stored Specific Character Set cannot hold the new values: the instance is re-encoded as a whole in
   * ISO_IR 192 (UTF-8), which holds every value (PS3.3 C.12.1.1.2), instead of having a few elements replaced.
   */
  recode: boolean;
}

/** An instance whose stored Patient module values a response (or a metadata document) replaced, and which. */
export interface CoercedInstance {
  seriesUid: string;
  sopUid: string;
  tags: readonly string[];
}

/**
 * The attributes that name the patient: they are always the record's. When the record has no Issuer of
 * Patient ID (the index's issuer ''), an instance's own issuer must go with it, or a merged instance would
 * pair the surviving Patient ID with the merged patient's issuer.
 */
const identityTags: ReadonlySet<string> = new Set([
  Tag.PatientID,
  Tag.IssuerOfPatientID,
  Tag.IssuerOfPatientIDQualifiersSequence,
  Tag.TypeOfPatientID,
]);

/**
 * The Patient module attributes retrieval takes from the record (PS3.3 C.7.1.1 and the Patient Group Macro, as
 * the index files them at the patient level), except Specific Character Set: it says how the instance's own text
 * is encoded, and changes only when the new values need it.
 */
const coercibleTags = [...patientLevelTags].filter((t) => t !== Tag.SpecificCharacterSet).sort();

const utf8: DicomJsonElement = { vr: 'CS', Value: ['ISO_IR 192'] };

/** The version of a record the metadata fingerprints and ETags include: another row (a merge) or an update changes it. */
export const patientVersionOf = (record: PatientRecord | undefined): string =>
  record ? `${record.pk}.${record.version}` : '';

const isEmpty = (e: DicomJsonElement | undefined): boolean =>
  e === undefined || ((e.Value === undefined || e.Value.length === 0) && !e.InlineBinary && !e.BulkDataURI);

/** PS3.5 §6.2.1: trailing component delimiters of a PN group may be omitted; "Doe^John^^" is "Doe^John". */
const personName = (pn: PersonNameJson): Record<string, string> =>
  Object.fromEntries(
    (['Alphabetic', 'Ideographic', 'Phonetic'] as const)
      .filter((g) => pn[g])
      .map((g) => [g, pn[g]!.replace(/\^+$/, '')]),
  );

/** A value in a form where equal values are equal strings: object keys sorted, names without trailing '^'. */
function canonical(value: unknown, vr?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, vr));
  if (value === null || typeof value !== 'object') return value;
  if (vr === 'PN') return personName(value as PersonNameJson);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    // Inside a sequence item: elements keyed by tag, compared by value, not by VR.
    if (/^[0-9A-F]{8}$/.test(key) && v && typeof v === 'object') {
      const e = v as DicomJsonElement;
      out[key] = isEmpty(e) ? null : canonical(e.Value ?? e.InlineBinary ?? e.BulkDataURI, e.vr);
    } else out[key] = canonical(v);
  }
  return out;
}

const sameValue = (stored: DicomJsonElement | undefined, wanted: DicomJsonElement | undefined): boolean =>
  isEmpty(stored) && isEmpty(wanted)
    ? true
    : !isEmpty(stored) &&
      !isEmpty(wanted) &&
      JSON.stringify(canonical(stored!.Value ?? stored!.InlineBinary, stored!.vr)) ===
        JSON.stringify(canonical(wanted!.Value ?? wanted!.InlineBinary, wanted!.vr));

/** Whether an element holds a BulkDataURI anywhere: its bytes belong to the instance it was read from. */
const hasBulk = (e: DicomJsonElement): boolean =>
  e.BulkDataURI !== undefined ||
  (e.vr === 'SQ' &&
    (e.Value ?? []).some((item) => Object.values((item ?? {}) as DicomJsonDataset).some((x) => hasBulk(x))));

const charsetOf = (ds: DicomJsonDataset): string[] =>
  (ds[Tag.SpecificCharacterSet]?.Value ?? []).map((v) => (typeof v === 'string' ? v.trim() : ''));

/** No Specific Character Set, or the default repertoire named: every stored text value is ASCII. */
const isDefaultRepertoire = (charset: readonly string[]): boolean =>
  charset.length <= 1 && ['', 'ISO_IR 6', 'ISO 2022 IR 6'].includes(charset[0] ?? '');

function fits(elements: Record<string, DicomJsonElement | null>, charset: readonly string[]): boolean {
  try {
    for (const [tag, element] of Object.entries(elements)) {
      if (element) {
        encodeDataSetElements(
          { [tag]: element },
          { explicitVr: true, littleEndian: true, ...(charset.length ? { specificCharacterSet: charset } : {}) },
        );
      }
    }
    return true;
  } catch (error) {
    if (error instanceof CharsetError) return false;
    throw error;
  }
}

/** What the coercion needs of the patient's record (findPatientRecord). */
export type AppliedRecord = Pick<PatientRecord, 'module' | 'patientId' | 'issuer' | 'updatedBySource'>;

/**
 * What must change in an instance whose stored data set is `stored` for it to carry its patient's current
 * record (the index's, findPatientRecord); undefined when nothing must (then it is sent as stored, bit for bit).
 *
 * The record is applied once the source of truth has set it (an HL7 ADT update, `updatedBySource`), and to an
 * instance filed under another patient than its own identifiers say (a merge re-homed it). Before that the
 * record is only the Patient module of the patient's first instance, and an instance that spells the name
 * otherwise is sent as it was stored.
 *
 * Compared by value: an attribute absent in the instance and empty in the record is the same. Attributes the
 * record does not have are left as the instance has them, except the identifying ones (identityTags). When the
 * new text does not fit the instance's character set, Specific Character Set becomes ISO_IR 192: by itself when
 * the instance used the default repertoire (whose ASCII text UTF-8 reads the same), else with `recode` (the whole
 * data set is written again in UTF-8).
 */
export function patientCoercionOf(stored: DicomJsonDataset, applied: AppliedRecord): PatientCoercion | undefined {
  const ownIdentity =
    (stringValue(stored, Tag.PatientID) ?? '') === applied.patientId &&
    (stringValue(stored, Tag.IssuerOfPatientID) ?? '') === applied.issuer;
  if (!applied.updatedBySource && ownIdentity) return undefined;
  const record = applied.module;
  const elements: Record<string, DicomJsonElement | null> = {};
  const tags: string[] = [];
  for (const tag of coercibleTags) {
    const wanted = record[tag];
    if (wanted === undefined && !identityTags.has(tag)) continue;
    const have = stored[tag];
    if (sameValue(have, wanted) || (wanted && hasBulk(wanted))) continue;
    if (wanted === undefined && have === undefined) continue;
    elements[tag] = wanted === undefined ? null : wanted;
    tags.push(tag);
  }
  if (tags.length === 0) return undefined;
  const charset = charsetOf(stored);
  let recode = false;
  if (!fits(elements, charset)) {
    recode = !isDefaultRepertoire(charset);
    elements[Tag.SpecificCharacterSet] = utf8;
    tags.unshift(Tag.SpecificCharacterSet);
  }
  return { tags, elements, recode };
}

/** The data set with the coercion applied (a new object, tags in order); `stored` is not changed. */
export function coercePatientModule(stored: DicomJsonDataset, coercion: PatientCoercion): DicomJsonDataset {
  const out: DicomJsonDataset = { ...stored };
  for (const [tag, element] of Object.entries(coercion.elements)) {
    if (element) out[tag] = element;
    else delete out[tag];
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What the audit record of a response that sent `coerced` says (@pacs/auth, PS3.15 A.5.3.7). */
export function coercionFacts(
  record: PatientRecord,
  studyUid: string,
  coerced: readonly CoercedInstance[],
): CoercionFacts {
  return {
    patient: { patientId: record.patientId, issuer: record.issuer, version: record.version },
    instances: coerced.map((c) => ({ studyUid, seriesUid: c.seriesUid, sopUid: c.sopUid, tags: c.tags })),
  };
}
