import { SopClassUid, Tag, type DicomJsonDataset } from '@pacs/dicom';
import { parseHl7 } from '@pacs/hl7v2';
import { srReport } from '../fixtures/messages';
import { oruOfReport, reportFacts, reportSopClasses, webhookBodyOfReport } from './report-of-dataset';
import { reportReferencesOf } from './ups-completion.poller';

const uids = { study: '1.2.3.1', series: '1.2.3.2', sop: '1.2.3.3' };
const options = {
  sendingApplication: 'PACS',
  sendingFacility: 'RAD',
  receivingApplication: 'RIS',
  receivingFacility: 'HOSP',
  controlId: 'R1',
  reportUrl: 'https://pacs/dicomweb/studies/1.2.3.1/series/1.2.3.2/instances/1.2.3.3',
  studyLink: 'https://viewer/?StudyInstanceUIDs=1.2.3.1',
  now: new Date(Date.UTC(2024, 2, 5, 10)),
};

describe('reports', () => {
  it('treats narrative SR documents and encapsulated PDF/CDA as reports, not dose or CAD SRs', () => {
    expect(reportSopClasses.get(SopClassUid.BasicTextSRStorage)).toBe('SR');
    expect(reportSopClasses.get(SopClassUid.EncapsulatedPDFStorage)).toBe('PDF');
    expect(reportSopClasses.has(SopClassUid.XRayRadiationDoseSRStorage)).toBe(false);
    expect(reportSopClasses.has(SopClassUid.KeyObjectSelectionDocumentStorage)).toBe(false);
  });

  it('reads a verified SR into a final report with its findings and impression', () => {
    const facts = reportFacts(srReport(uids, { id: 'P1', name: 'Doe^John' }), 'SR');
    expect(facts).toMatchObject({
      studyUid: '1.2.3.1',
      sopUid: '1.2.3.3',
      status: 'F',
      accessionNumber: 'ACC-SR-1',
      text: 'Finding: No acute intracranial abnormality.',
      impression: 'Normal CT of the head.',
      interpreter: 'House^Gregory',
      observationDateTime: '20240305083000',
      patient: { id: 'P1', issuer: 'HOSP', name: 'Doe^John', birthDate: '19700101', sex: 'M' },
    });
  });

  it('reads an unverified SR as preliminary, with coded and numeric content as text', () => {
    const ds: DicomJsonDataset = {
      ...srReport(uids, { id: 'P1', name: 'Doe^John' }),
      [Tag.VerificationFlag]: { vr: 'CS', Value: ['UNVERIFIED'] },
      [Tag.ContentSequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.ValueType]: { vr: 'CS', Value: ['CODE'] },
            [Tag.ConceptNameCodeSequence]: {
              vr: 'SQ',
              Value: [{ [Tag.CodeMeaning]: { vr: 'LO', Value: ['Finding'] } }],
            },
            [Tag.ConceptCodeSequence]: { vr: 'SQ', Value: [{ [Tag.CodeMeaning]: { vr: 'LO', Value: ['Nodule'] } }] },
          },
          {
            [Tag.ValueType]: { vr: 'CS', Value: ['NUM'] },
            [Tag.ConceptNameCodeSequence]: {
              vr: 'SQ',
              Value: [{ [Tag.CodeMeaning]: { vr: 'LO', Value: ['Diameter'] } }],
            },
            [Tag.MeasuredValueSequence]: {
              vr: 'SQ',
              Value: [
                {
                  [Tag.NumericValue]: { vr: 'DS', Value: [12] },
                  [Tag.MeasurementUnitsCodeSequence]: {
                    vr: 'SQ',
                    Value: [{ [Tag.CodeValue]: { vr: 'SH', Value: ['mm'] } }],
                  },
                },
              ],
            },
          },
        ],
      },
    };
    const facts = reportFacts(ds, 'SR');
    expect(facts.status).toBe('P');
    expect(facts.text).toBe('Finding: Nodule\nDiameter: 12 mm');
  });

  it('builds an ORU^R01 whose OBX carry the report and the study link', () => {
    const oru = parseHl7(oruOfReport(reportFacts(srReport(uids, { id: 'P1', name: 'Doe^John' }), 'SR'), options));
    expect(oru.messageType).toMatchObject({ code: 'ORU', trigger: 'R01' });
    expect(oru.controlId).toBe('R1');
    expect(oru.get('MSH-5')).toBe('RIS');
    expect(oru.get('PID-3-1')).toBe('P1');
    expect(oru.get('PID-3-4')).toBe('HOSP');
    expect(oru.get('OBR-25')).toBe('F');
    const obx = oru.segments('OBX').map((s) => [s.value(3), s.value(5)]);
    expect(obx).toContainEqual(['113014', '1.2.3.1']);
    expect(obx).toContainEqual(['18782-3', 'Finding: No acute intracranial abnormality.']);
    expect(obx).toContainEqual(['18782-3', 'Images: https://viewer/?StudyInstanceUIDs=1.2.3.1']);
    expect(obx).toContainEqual(['19005-8', 'Normal CT of the head.']);
  });

  it('announces an encapsulated PDF by its title and retrieve URL', () => {
    const pdf: DicomJsonDataset = {
      ...srReport(uids, { id: 'P1', name: 'Doe^John' }),
      [Tag.SOPClassUID]: { vr: 'UI', Value: [SopClassUid.EncapsulatedPDFStorage] },
      [Tag.DocumentTitle]: { vr: 'ST', Value: ['Radiology report'] },
    };
    delete pdf[Tag.ContentSequence];
    const oru = parseHl7(oruOfReport(reportFacts(pdf, 'PDF'), options));
    const text = oru.segments('OBX').map((s) => s.value(5));
    expect(text).toContain(`Radiology report (PDF): ${options.reportUrl}`);
    const body = JSON.parse(
      webhookBodyOfReport(reportFacts(pdf, 'PDF'), {
        eventId: 'E1',
        studyLink: options.studyLink,
        studyUrl: 'https://pacs/dicomweb/studies/1.2.3.1',
        reportUrl: options.reportUrl,
        now: options.now,
      }),
    );
    expect(body).toMatchObject({
      event: 'report.available',
      reportType: 'PDF',
      status: 'final',
      studyInstanceUid: '1.2.3.1',
      studyLink: options.studyLink,
      accessionNumber: 'ACC-SR-1',
    });
  });

  it('finds the report references of a completed workitem', () => {
    const ref = (cls: string, uid: string) => ({
      [Tag.ReferencedSOPSequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.ReferencedSOPClassUID]: { vr: 'UI', Value: [cls] },
            [Tag.ReferencedSOPInstanceUID]: { vr: 'UI', Value: [uid] },
          },
        ],
      },
    });
    const workitem: DicomJsonDataset = {
      [Tag.OutputInformationSequence]: { vr: 'SQ', Value: [ref(SopClassUid.CTImageStorage, '9.1')] },
      [Tag.UnifiedProcedureStepPerformedProcedureSequence]: {
        vr: 'SQ',
        Value: [
          { [Tag.OutputInformationSequence]: { vr: 'SQ', Value: [ref(SopClassUid.ComprehensiveSRStorage, '9.2')] } },
        ],
      },
    };
    expect(reportReferencesOf(workitem)).toEqual([{ sopUid: '9.2', sopClassUid: SopClassUid.ComprehensiveSRStorage }]);
  });
});
