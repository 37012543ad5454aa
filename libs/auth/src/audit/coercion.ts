// Attribute coercion on retrieval, as the audit trail records it. WADO-RS applies the current patient record
// (HL7 ADT) to the Patient module of stored instances as it sends them; the access's audit record says which
// instances were sent changed, which attributes (tags, never values) and which version of the record.

/** What a response sent changed: the patient record applied, and the attributes of each instance it replaced. */
export interface CoercionFacts {
  /** The patient record applied: the patient's identifiers (after any merge) and the record's version. */
  patient: { patientId: string; issuer: string; version: number };
  /** The instances sent with replaced attributes, with the tags (DICOM JSON keys) of those attributes. */
  instances: readonly { studyUid: string; seriesUid: string; sopUid: string; tags: readonly string[] }[];
}

const coercionKey = Symbol('pacs.coercion');
type Carrier = { [coercionKey]?: CoercionFacts };

/** Notes on the request that its response carries coerced attributes; the audit record written at its end says so. */
export function attachCoercion(request: object, facts: CoercionFacts): void {
  (request as Carrier)[coercionKey] = facts;
}

/** The coercion a handler noted on the request (undefined: the response sent the stored values). */
export const coercionOf = (request: object): CoercionFacts | undefined => (request as Carrier)[coercionKey];
