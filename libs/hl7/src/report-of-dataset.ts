// A report stored in the PACS (a DICOM SR document or an encapsulated document) read into what an ORU^R01
// and a webhook notification say about it.
import { SopClassUid, Tag, type DicomJsonDataset } from '@pacs/dicom';
import { buildOruR01, type Hl7Code, type ReportStatus } from '@pacs/hl7v2';

/**
 * The SOP Classes that are reports for the referring physician (PS3.4 Annex B.5): the narrative SR
 * documents (Basic Text, Enhanced, Comprehensive, Comprehensive 3D, Extensible SR — PS3.3 A.35) and the
 * encapsulated PDF and CDA documents (PS3.3 A.45). Dose, CAD and key object selection documents are not
 * reports to send.
 */
export const reportSopClasses: ReadonlyMap<string, 'SR' | 'PDF' | 'CDA'> = new Map([
  [SopClassUid.BasicTextSRStorage, 'SR'],
  [SopClassUid.EnhancedSRStorage, 'SR'],
  [SopClassUid.ComprehensiveSRStorage, 'SR'],
  [SopClassUid.Comprehensive3DSRStorage, 'SR'],
  [SopClassUid.ExtensibleSRStorage, 'SR'],
  [SopClassUid.EncapsulatedPDFStorage, 'PDF'],
  [SopClassUid.EncapsulatedCDAStorage, 'CDA'],
]);

export interface ReportFacts {
  readonly studyUid: string;
  readonly seriesUid: string;
  readonly sopUid: string;
  readonly sopClassUid: string;
  readonly kind: 'SR' | 'PDF' | 'CDA';
  readonly patient: { id: string; issuer: string; name: string; birthDate: string; sex: string };
  readonly accessionNumber: string;
  readonly requestedProcedureId: string;
  readonly placerOrderNumber: string;
  readonly fillerOrderNumber: string;
  readonly referringPhysician: string;
  readonly procedure: Hl7Code;
  /** HL7 TS of the study (Study Date + Time), else the content's. */
  readonly observationDateTime: string;
  readonly status: ReportStatus;
  readonly title: string;
  readonly text: string;
  readonly impression: string;
  readonly interpreter: string;
}

type Item = DicomJsonDataset;

const items = (ds: Item | undefined, tag: string): Item[] =>
  (ds?.[tag]?.Value ?? []).filter((v): v is Item => typeof v === 'object' && v !== null && !Array.isArray(v));

function text(ds: Item | undefined, tag: string): string {
  const v: unknown = ds?.[tag]?.Value?.[0];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && v !== null) {
    const alphabetic = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' ? alphabetic : '';
  }
  return '';
}

const codeOf = (item: Item | undefined): Hl7Code | undefined => {
  if (!item) return undefined;
  const code = {
    code: text(item, Tag.CodeValue),
    meaning: text(item, Tag.CodeMeaning),
    scheme: text(item, Tag.CodingSchemeDesignator),
  };
  return code.code || code.meaning ? code : undefined;
};

/** Impression sections: DCM 121073 "Impression", LOINC 19005-8 (PS3.16 TID 2000 / CID 7001). */
const isImpression = (concept: Hl7Code | undefined): boolean =>
  !!concept &&
  ((concept.scheme === 'DCM' && concept.code === '121073') || (concept.scheme === 'LN' && concept.code === '19005-8'));

/** Longest report text taken into a message (a report is prose; anything longer is cut, not dropped). */
const maxTextChars = 64 * 1024;

/**
 * The narrative of an SR content tree (PS3.3 C.17.3): depth first, a CONTAINER's concept name as a
 * heading, TEXT as it is, CODE / NUM / PNAME / DATE / TIME / DATETIME as "concept: value". Content under
 * an Impression concept goes to the impression.
 */
function narrative(root: Item): { body: string[]; impression: string[] } {
  const body: string[] = [];
  const impression: string[] = [];
  let chars = 0;
  const walk = (item: Item, depth: number, inImpression: boolean): void => {
    if (depth > 32 || chars > maxTextChars) return;
    const concept = codeOf(items(item, Tag.ConceptNameCodeSequence)[0]);
    const label = concept?.meaning ?? '';
    const under = inImpression || isImpression(concept);
    const out = under ? impression : body;
    const push = (line: string): void => {
      if (line.trim() === '') return;
      chars += line.length;
      out.push(line);
    };
    switch (text(item, Tag.ValueType)) {
      case 'CONTAINER':
        if (depth > 0 && label && !isImpression(concept)) push(`${label}:`);
        break;
      case 'TEXT':
        push(under && isImpression(concept) ? text(item, Tag.TextValue) : labelled(label, text(item, Tag.TextValue)));
        break;
      case 'CODE':
        push(labelled(label, codeOf(items(item, Tag.ConceptCodeSequence)[0])?.meaning ?? ''));
        break;
      case 'NUM': {
        const measured = items(item, Tag.MeasuredValueSequence)[0];
        const unit = codeOf(items(measured, Tag.MeasurementUnitsCodeSequence)[0])?.code ?? '';
        push(labelled(label, `${text(measured, Tag.NumericValue)} ${unit}`.trim()));
        break;
      }
      case 'PNAME':
        push(labelled(label, text(item, Tag.PersonName).replace(/\^+/g, ' ').trim()));
        break;
      case 'DATE':
      case 'TIME':
      case 'DATETIME':
        push(labelled(label, text(item, Tag.Date) || text(item, Tag.Time) || text(item, Tag.DateTime)));
        break;
    }
    for (const child of items(item, Tag.ContentSequence)) walk(child, depth + 1, under);
  };
  walk(root, 0, false);
  return { body, impression };
}

const labelled = (label: string, value: string): string => (value ? (label ? `${label}: ${value}` : value) : '');

/** What a report says, read from its data set (the instance's DICOM JSON, study attributes included). */
export function reportFacts(dataset: DicomJsonDataset, kind: 'SR' | 'PDF' | 'CDA'): ReportFacts {
  const request = items(dataset, Tag.ReferencedRequestSequence)[0];
  const pick = (tag: string): string => text(dataset, tag) || text(request, tag);
  const title = codeOf(items(dataset, Tag.ConceptNameCodeSequence)[0]);
  const procedure =
    codeOf(items(request, Tag.RequestedProcedureCodeSequence)[0]) ??
    codeOf(items(dataset, Tag.ProcedureCodeSequence)[0]) ??
    ({
      code: '',
      meaning: text(dataset, Tag.StudyDescription) || title?.meaning || 'Imaging study',
      scheme: '',
    } as Hl7Code);
  const date = text(dataset, Tag.StudyDate) || text(dataset, Tag.ContentDate);
  const time =
    (text(dataset, Tag.StudyDate) ? text(dataset, Tag.StudyTime) : text(dataset, Tag.ContentTime)).split('.')[0] ?? '';
  let body: string[] = [];
  let impression: string[] = [];
  if (kind === 'SR') ({ body, impression } = narrative(dataset));
  const documentTitle = text(dataset, Tag.DocumentTitle) || title?.meaning || 'Report';
  // PS3.3 C.17.2: VERIFIED is the final, signed report; anything else is preliminary.
  const verified = kind !== 'SR' || text(dataset, Tag.VerificationFlag) === 'VERIFIED';
  const verifier = items(dataset, Tag.VerifyingObserverSequence)[0];
  return {
    studyUid: text(dataset, Tag.StudyInstanceUID),
    seriesUid: text(dataset, Tag.SeriesInstanceUID),
    sopUid: text(dataset, Tag.SOPInstanceUID),
    sopClassUid: text(dataset, Tag.SOPClassUID),
    kind,
    patient: {
      id: text(dataset, Tag.PatientID),
      issuer: text(dataset, Tag.IssuerOfPatientID),
      name: text(dataset, Tag.PatientName),
      birthDate: text(dataset, Tag.PatientBirthDate),
      sex: text(dataset, Tag.PatientSex),
    },
    accessionNumber: pick(Tag.AccessionNumber),
    requestedProcedureId: pick(Tag.RequestedProcedureID),
    placerOrderNumber: pick(Tag.PlacerOrderNumberImagingServiceRequest),
    fillerOrderNumber: pick(Tag.FillerOrderNumberImagingServiceRequest),
    referringPhysician: text(dataset, Tag.ReferringPhysicianName),
    procedure,
    observationDateTime: `${date}${time}`,
    status: verified ? 'F' : 'P',
    title: documentTitle,
    text: body.join('\n'),
    impression: impression.join('\n'),
    interpreter: text(verifier, Tag.VerifyingObserverName),
  };
}

export interface OruOptions {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  readonly controlId: string;
  /** Where the report itself can be retrieved (WADO-RS instance URL). */
  readonly reportUrl: string;
  /** The study link for the referring physician. */
  readonly studyLink: string;
  readonly now: Date;
}

/**
 * The ORU^R01 of a report (buildOruR01 of @pacs/hl7v2: IHE RAD-128 style). The body is the SR's
 * narrative; an encapsulated document (PDF, CDA), whose bytes are bulk data, is announced by its title
 * and the URL it is retrieved from. The study link closes the body either way.
 */
export function oruOfReport(facts: ReportFacts, options: OruOptions): string {
  const lines =
    facts.kind === 'SR' && facts.text ? [facts.text] : [`${facts.title} (${facts.kind}): ${options.reportUrl}`];
  lines.push(`Images: ${options.studyLink}`);
  return buildOruR01({
    sendingApplication: options.sendingApplication,
    sendingFacility: options.sendingFacility || undefined,
    receivingApplication: options.receivingApplication,
    receivingFacility: options.receivingFacility || undefined,
    controlId: options.controlId,
    dateTime: options.now,
    patient: {
      id: facts.patient.id,
      issuer: facts.patient.issuer || undefined,
      name: facts.patient.name || undefined,
      birthDate: facts.patient.birthDate || undefined,
      sex: facts.patient.sex || undefined,
    },
    order: {
      placerOrderNumber: facts.placerOrderNumber || undefined,
      fillerOrderNumber: facts.fillerOrderNumber || undefined,
      accessionNumber: facts.accessionNumber,
      requestedProcedureId: facts.requestedProcedureId || undefined,
      studyInstanceUid: facts.studyUid,
      procedure: facts.procedure,
      observationDateTime: facts.observationDateTime || options.now,
    },
    report: {
      status: facts.status,
      text: lines.join('\n'),
      ...(facts.impression ? { impression: facts.impression } : {}),
      ...(facts.interpreter ? { interpreter: facts.interpreter } : {}),
    },
  });
}

/** The JSON body of a report notification (webhook). */
export function webhookBodyOfReport(
  facts: ReportFacts,
  links: { eventId: string; studyLink: string; studyUrl: string; reportUrl: string; now: Date },
): string {
  return JSON.stringify({
    event: 'report.available',
    eventId: links.eventId,
    occurredAt: links.now.toISOString(),
    status: facts.status === 'F' ? 'final' : 'preliminary',
    reportType: facts.kind,
    title: facts.title,
    studyInstanceUid: facts.studyUid,
    seriesInstanceUid: facts.seriesUid,
    sopInstanceUid: facts.sopUid,
    sopClassUid: facts.sopClassUid,
    accessionNumber: facts.accessionNumber,
    patientId: facts.patient.id,
    issuerOfPatientId: facts.patient.issuer,
    referringPhysicianName: facts.referringPhysician,
    studyLink: links.studyLink,
    studyUrl: links.studyUrl,
    reportUrl: links.reportUrl,
  });
}
