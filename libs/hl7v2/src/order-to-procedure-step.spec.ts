import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { fixture } from '../fixtures/fixture';
import { decodeHl7Bytes } from './charset';
import { orderToProcedureStep } from './order-to-procedure-step';
import { parseHl7 } from './parse-hl7';

const value = (ds: DicomJsonDataset | undefined, tag: string): unknown => ds?.[tag]?.Value?.[0];
const item = (ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset | undefined =>
  ds?.[tag]?.Value?.[0] as DicomJsonDataset | undefined;

describe('orderToProcedureStep', () => {
  it('maps an IHE RAD-4 ORM^O01 (v2.3.1, ZDS) received in ISO 8859-1 to a worklist item', () => {
    const bytes = Buffer.from(fixture('orm-o01-rad4-v231.hl7'), 'latin1');
    const { text, charset } = decodeHl7Bytes(bytes);
    const order = orderToProcedureStep(parseHl7(text, { charset }));
    expect(order.messageType).toBe('ORM^O01');
    expect(order.patient.patientId).toBe('PAT001');
    expect(order.patient.name).toBe('MÜLLER^HANS^^DR');
    expect(order.steps).toHaveLength(1);
    const step = order.steps[0]!;
    expect(step).toMatchObject({
      orderControl: 'NW',
      action: 'new',
      accessionNumber: 'ACC0001',
      requestedProcedureId: 'RP0001',
      scheduledProcedureStepId: 'SPS0001',
      studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
      modality: 'CT',
      scheduledStationAeTitle: 'CT01AE',
      scheduledStartDateTime: '20240305083000',
      priority: 'ROUTINE',
      requestedProcedureDescription: 'CT Head without contrast',
      scheduledProcedureStepDescription: 'CT head without contrast',
      placerOrderNumber: 'PLC001',
      fillerOrderNumber: 'FIL001',
      spsStatus: 'SCHEDULED',
      upsState: 'SCHEDULED',
    });
    const mwl = step.worklistItem;
    expect(value(mwl, Tag.AccessionNumber)).toBe('ACC0001');
    expect(value(mwl, Tag.StudyInstanceUID)).toBe('1.2.826.0.1.3680043.8.498.1');
    expect(value(mwl, Tag.RequestedProcedurePriority)).toBe('ROUTINE');
    expect(value(mwl, Tag.ReasonForTheRequestedProcedure)).toBe('Headache');
    expect(value(mwl, Tag.MedicalAlerts)).toBe('Contrast allergy');
    expect(value(mwl, Tag.PatientTransportArrangements)).toBe('WALK');
    expect(value(mwl, Tag.RequestingPhysician)).toEqual({ Alphabetic: 'WELBY^MARCUS^^DR' });
    expect(value(mwl, Tag.ReferringPhysicianName)).toEqual({ Alphabetic: 'WELBY^MARCUS^^DR' });
    expect(value(mwl, Tag.AdmissionID)).toBe('V0001');
    expect(value(mwl, Tag.PatientName)).toEqual({ Alphabetic: 'MÜLLER^HANS^^DR' });
    const code = item(mwl, Tag.RequestedProcedureCodeSequence);
    expect([value(code, Tag.CodeValue), value(code, Tag.CodingSchemeDesignator), value(code, Tag.CodeMeaning)]).toEqual(
      ['CTHEAD', 'L', 'CT Head without contrast'],
    );
    const sps = item(mwl, Tag.ScheduledProcedureStepSequence);
    expect(value(sps, Tag.Modality)).toBe('CT');
    expect(value(sps, Tag.ScheduledStationAETitle)).toBe('CT01AE');
    expect(value(sps, Tag.ScheduledProcedureStepStartDate)).toBe('20240305');
    expect(value(sps, Tag.ScheduledProcedureStepStartTime)).toBe('083000');
    expect(value(sps, Tag.ScheduledProcedureStepID)).toBe('SPS0001');
    expect(value(sps, Tag.ScheduledProcedureStepStatus)).toBe('SCHEDULED');
    expect(value(sps, Tag.ScheduledPerformingPhysicianName)).toEqual({ Alphabetic: 'SMITH^ANNA' });
    expect(value(item(sps, Tag.ScheduledProtocolCodeSequence), Tag.CodeValue)).toBe('P1');
  });

  it('maps an IHE RAD-4 OMI^O23 (v2.5.1, TQ1, IPC) with one step per IPC', () => {
    const order = orderToProcedureStep(parseHl7(fixture('omi-o23-rad4-v251.hl7')));
    expect(order.messageType).toBe('OMI^O23');
    expect(order.steps.map((s) => s.scheduledProcedureStepId)).toEqual(['SPS0002', 'SPS0003']);
    const step = order.steps[0]!;
    expect(step).toMatchObject({
      accessionNumber: 'ACC0002',
      requestedProcedureId: 'RP0002',
      studyInstanceUid: '1.2.826.0.1.3680043.8.498.2',
      modality: 'MR',
      scheduledStationName: 'MR_SCANNER_1',
      scheduledProcedureStepLocation: 'ROOM 3',
      scheduledStationAeTitle: 'MRAE01',
      scheduledStartDateTime: '20240306101500',
      priority: 'STAT',
      scheduledProcedureStepDescription: 'Brain protocol',
      requestedProcedureDescription: 'MR Brain with contrast',
    });
    const issuer = item(step.worklistItem, Tag.IssuerOfAccessionNumberSequence);
    expect(value(issuer, Tag.LocalNamespaceEntityID)).toBe('HOSP');
    expect(value(issuer, Tag.UniversalEntityID)).toBe('1.2.3.4');
    const ups = step.workitem;
    expect(value(ups, Tag.ProcedureStepState)).toBe('SCHEDULED');
    expect(value(ups, Tag.ScheduledProcedureStepPriority)).toBe('HIGH');
    expect(value(ups, Tag.ScheduledProcedureStepStartDateTime)).toBe('20240306101500');
    expect(value(ups, Tag.ProcedureStepLabel)).toBe('Brain protocol');
    const request = item(ups, Tag.ReferencedRequestSequence);
    expect(value(request, Tag.AccessionNumber)).toBe('ACC0002');
    expect(value(request, Tag.StudyInstanceUID)).toBe('1.2.826.0.1.3680043.8.498.2');
    expect(value(ups, Tag.PatientID)).toBe('PAT002');
  });

  it.each([
    ['CA', '', 'cancel', 'CANCELED', 'CANCELED'],
    ['DC', '', 'discontinue', 'DISCONTINUED', 'CANCELED'],
    ['XO', 'SC', 'change', 'SCHEDULED', 'SCHEDULED'],
    ['SC', 'IP', 'status', 'STARTED', 'IN PROGRESS'],
    ['SC', 'CM', 'status', 'COMPLETED', 'COMPLETED'],
    ['ZZ', '', 'other', 'SCHEDULED', 'SCHEDULED'],
  ])('maps order control %s with status %s to %s', (control, status, action, sps, ups) => {
    const text = fixture('orm-o01-rad4-v231.hl7').replace(
      'ORC|NW|PLC001^HIS|FIL001^RIS||SC|',
      `ORC|${control}|PLC001^HIS|FIL001^RIS||${status}|`,
    );
    const step = orderToProcedureStep(parseHl7(text)).steps[0]!;
    expect([step.action, step.spsStatus, step.upsState]).toEqual([action, sps, ups]);
    expect(value(item(step.worklistItem, Tag.ScheduledProcedureStepSequence), Tag.ScheduledProcedureStepStatus)).toBe(
      sps,
    );
  });

  it('rejects other message types and orders without PID, ORC or OBR', () => {
    const orm = fixture('orm-o01-rad4-v231.hl7');
    expect(() => orderToProcedureStep(parseHl7(orm.replace('ORM^O01', 'ORM^O02')))).toThrow(
      expect.objectContaining({ code: 200 }),
    );
    const drop = (name: string): string =>
      orm
        .split('\r')
        .filter((l) => !l.startsWith(name))
        .join('\r');
    expect(() => orderToProcedureStep(parseHl7(drop('PID')))).toThrow(
      expect.objectContaining({ code: 100, location: 'PID' }),
    );
    expect(() => orderToProcedureStep(parseHl7(drop('ORC')))).toThrow(
      expect.objectContaining({ code: 100, location: 'ORC' }),
    );
    expect(() => orderToProcedureStep(parseHl7(drop('OBR')))).toThrow(
      expect.objectContaining({ code: 100, location: 'ORC[1]' }),
    );
  });
});
