import { buildHl7, formatHl7DateTime, type Hl7FieldValue, type Hl7SegmentInput } from './build-hl7';
import { defaultDelimiters, type Hl7Delimiters } from './delimiters';
import { escapeHl7 } from './escape';

/** A coded value (CE/CWE): identifier ^ text ^ name of coding system. */
export interface Hl7Code {
  readonly code: string;
  readonly meaning: string;
  readonly scheme: string;
}

/** HL7 table 0123 result status (OBR-25) and table 0085 observation result status (OBX-11). */
export type ReportStatus = 'P' | 'F' | 'C' | 'X';

export interface OruR01Input {
  readonly sendingApplication: Hl7FieldValue;
  readonly sendingFacility?: Hl7FieldValue;
  readonly receivingApplication: Hl7FieldValue;
  readonly receivingFacility?: Hl7FieldValue;
  readonly controlId?: string;
  readonly dateTime?: Date;
  /** MSH-12; 2.5.1 (the version of IHE RAD-128) by default. */
  readonly version?: string;
  /** MSH-18; 'UNICODE UTF-8' by default, the encoding the transport then uses. */
  readonly charset?: string;
  readonly processingId?: string;
  readonly patient: {
    readonly id: string;
    /** PID-3.4.1, the assigning authority namespace (Issuer of Patient ID). */
    readonly issuer?: string;
    /** PID-3.5 (table 0203); 'PI' (patient internal identifier) by default. */
    readonly typeCode?: string;
    /** DICOM PN family^given^middle^prefix^suffix (the alphabetic group is used). */
    readonly name?: string;
    /** DICOM DA (YYYYMMDD). */
    readonly birthDate?: string;
    /** DICOM Patient's Sex M / F / O; '' for unknown (HL7 U). */
    readonly sex?: string;
  };
  readonly visit?: {
    /** PV1-2 (table 0004); 'U' (unknown) by default. */
    readonly patientClass?: string;
    readonly visitNumber?: string;
  };
  readonly order: {
    readonly placerOrderNumber?: string;
    readonly fillerOrderNumber?: string;
    readonly accessionNumber: string;
    readonly requestedProcedureId?: string;
    readonly studyInstanceUid: string;
    /** OBR-4 and OBR-44; a RadLex Playbook / LOINC procedure code is recommended (IHE RAD-128). */
    readonly procedure: Hl7Code;
    /** OBR-7: when the imaging was done (Study Date/Time). */
    readonly observationDateTime: Date | string;
    /** OBR-24 (table 0074); 'RAD' by default. */
    readonly diagnosticServiceSection?: string;
  };
  readonly report: {
    readonly status: ReportStatus;
    /** The report body (findings); lines are split on CR/LF. */
    readonly text: string;
    readonly impression?: string;
    /** OBR-32 principal result interpreter, DICOM PN. */
    readonly interpreter?: string;
    /** OBR-22: when the report reached this status; now by default. */
    readonly statusDateTime?: Date | string;
    /**
     * 'TX' (default): one OBX per line, the common practice (HL7 v2.5 §7.2.x, TX repeats in separate
     * OBX with the same OBX-3/OBX-4); 'FT': one OBX per section, lines joined with \.br\ (§2.7.6).
     */
    readonly format?: 'TX' | 'FT';
    /** OBX-3 of the body; LOINC 18782-3 "Radiology Study observation (narrative)" by default. */
    readonly bodyCode?: Hl7Code;
    /** OBX-3 of the impression; LOINC 19005-8 "Radiology Imaging study [Impression] (narrative)" by default. */
    readonly impressionCode?: Hl7Code;
  };
}

/** DICOM Study as an observation identifier (DCM 113014), as IHE RAD-128 carries the Study Instance UID. */
export const studyUidObservation: Hl7Code = { code: '113014', meaning: 'DICOM Study', scheme: 'DCM' };
export const reportBodyObservation: Hl7Code = {
  code: '18782-3',
  meaning: 'Radiology Study observation (narrative)',
  scheme: 'LN',
};
export const reportImpressionObservation: Hl7Code = {
  code: '19005-8',
  meaning: 'Radiology Imaging study [Impression] (narrative)',
  scheme: 'LN',
};

const ce = (c: Hl7Code): string[] => [c.code, c.meaning, c.scheme];

// DICOM PN family^given^middle^prefix^suffix → XPN family^given^middle^suffix^prefix (v2.5 §2.A.88).
function personNameToXpn(pn: string | undefined): string[] | undefined {
  if (!pn) return undefined;
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = (pn.split('=')[0] ?? '').split('^');
  return [family, given, middle, suffix, prefix];
}

// DICOM sex to table 0001: '' (unknown) → U.
const sexToHl7 = (sex: string | undefined): string | undefined =>
  sex === undefined ? undefined : sex === '' ? 'U' : sex;

/**
 * An ORU^R01 carrying a radiology report, in the form RIS/EHR receivers expect from an image manager
 * (IHE RAD-128 as profiled by dcm4chee-arc; IHE RAD-28 for the report observations):
 *
 *   MSH  ORU^R01^ORU_R01, v2.5.1, MSH-18 charset
 *   PID  PID-3 id^^^issuer^type, PID-5 name, PID-7 birth date, PID-8 sex
 *   PV1  PV1-2 patient class, PV1-19 visit number
 *   ORC  ORC-1 RE (observations to follow), ORC-2/3 placer/filler order, ORC-5 CM
 *   OBR  OBR-2/3 order numbers, OBR-4 procedure, OBR-7 observation time, OBR-18 accession number
 *        (Placer Field 1), OBR-19 requested procedure id (Placer Field 2), OBR-22 status time,
 *        OBR-24 RAD, OBR-25 result status, OBR-32 interpreter, OBR-44 procedure
 *   OBX  ST 113014^DICOM Study^DCM = Study Instance UID (OBX-11 O: reference, not a result)
 *   OBX  TX/FT report body (and impression), OBX-11 = result status
 */
export function buildOruR01(input: OruR01Input, delimiters: Hl7Delimiters = defaultDelimiters): string {
  const { patient, order, report } = input;
  const status = report.status;
  const now = input.dateTime ?? new Date();
  const segments: Hl7SegmentInput[] = [
    {
      name: 'PID',
      fields: {
        1: '1',
        3: [patient.id, '', '', patient.issuer ?? '', patient.typeCode ?? 'PI'],
        5: personNameToXpn(patient.name),
        7: patient.birthDate,
        8: sexToHl7(patient.sex),
      },
    },
    { name: 'PV1', fields: { 1: '1', 2: input.visit?.patientClass ?? 'U', 19: input.visit?.visitNumber } },
    {
      name: 'ORC',
      fields: { 1: 'RE', 2: order.placerOrderNumber, 3: order.fillerOrderNumber, 5: 'CM' },
    },
    {
      name: 'OBR',
      fields: {
        1: '1',
        2: order.placerOrderNumber,
        3: order.fillerOrderNumber,
        4: ce(order.procedure),
        7: formatHl7DateTime(order.observationDateTime),
        18: order.accessionNumber,
        19: order.requestedProcedureId,
        22: formatHl7DateTime(report.statusDateTime ?? now),
        24: order.diagnosticServiceSection ?? 'RAD',
        25: status,
        // NDL whose first component is a CNN: id & family & given & middle & suffix & prefix.
        32: report.interpreter ? [['', ...(personNameToXpn(report.interpreter) ?? [])]] : undefined,
        44: ce(order.procedure),
      },
    },
  ];
  let setId = 0;
  const obx = (type: string, code: Hl7Code, subId: string, value: Hl7FieldValue, resultStatus: string): void => {
    segments.push({
      name: 'OBX',
      fields: { 1: String(++setId), 2: type, 3: ce(code), 4: subId, 5: value, 11: resultStatus },
    });
  };
  obx('ST', studyUidObservation, '', order.studyInstanceUid, 'O');
  const sections: [Hl7Code, string][] = [[report.bodyCode ?? reportBodyObservation, report.text]];
  if (report.impression) sections.push([report.impressionCode ?? reportImpressionObservation, report.impression]);
  sections.forEach(([code, text], i) => {
    const subId = String(i + 1);
    if (report.format === 'FT') {
      obx('FT', code, subId, { encoded: escapeHl7(text, delimiters, { lineBreaks: 'br' }) }, status);
    } else {
      for (const line of text.split(/\r\n|\r|\n/)) obx('TX', code, subId, line, status);
    }
  });

  return buildHl7({
    delimiters,
    header: {
      sendingApplication: input.sendingApplication,
      sendingFacility: input.sendingFacility,
      receivingApplication: input.receivingApplication,
      receivingFacility: input.receivingFacility,
      dateTime: now,
      messageType: ['ORU', 'R01', 'ORU_R01'],
      controlId: input.controlId,
      processingId: input.processingId,
      version: input.version ?? '2.5.1',
      charset: input.charset ?? 'UNICODE UTF-8',
    },
    segments,
  });
}
