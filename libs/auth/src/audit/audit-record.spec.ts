import { AccessAction, dicomwebResourceOf } from '../dicomweb-resource';
import { anonymousPrincipal } from '../principal';
import { buildAuditRecord, type AccessFacts } from './audit-record';

const facts = (method: string, path: string, more: Partial<AccessFacts> = {}): AccessFacts => ({
  time: new Date('2026-01-02T03:04:05.000Z'),
  service: 'wado',
  requestId: 'req-1',
  method,
  resource: dicomwebResourceOf(method, path)!,
  query: '',
  status: 200,
  aborted: false,
  principal: { subject: 'alice', clientId: 'ohif', authenticated: true, scopes: new Set(), partitionId: 2 },
  clientAddress: '198.51.100.2',
  ...more,
});

describe('buildAuditRecord', () => {
  it('records a retrieve as DICOM Instances Transferred (R) of the study, with the series and instance', () => {
    const record = buildAuditRecord(facts('GET', '/dicomweb/studies/1.2/series/3.4/instances/5.6/frames/1'));
    expect(record.EventIdentification).toEqual({
      EventID: { 'csd-code': '110104', codeSystemName: 'DCM', originalText: 'DICOM Instances Transferred' },
      EventActionCode: 'R',
      EventDateTime: '2026-01-02T03:04:05.000Z',
      EventOutcomeIndicator: 0,
      EventOutcomeDescription: 'HTTP 200',
      EventTypeCode: [{ 'csd-code': 'RAD-107', codeSystemName: 'IHE Transactions', originalText: 'WADO-RS Retrieve' }],
    });
    expect(record.ActiveParticipant).toEqual([
      {
        UserID: 'alice',
        AlternativeUserID: 'ohif',
        UserIsRequestor: true,
        RoleIDCode: [{ 'csd-code': '110152', codeSystemName: 'DCM', originalText: 'Destination Role ID' }],
        NetworkAccessPointTypeCode: '2',
        NetworkAccessPointID: '198.51.100.2',
      },
      {
        UserID: 'wado',
        UserIsRequestor: false,
        RoleIDCode: [{ 'csd-code': '110153', codeSystemName: 'DCM', originalText: 'Source Role ID' }],
      },
    ]);
    expect(record.ParticipantObjectIdentification).toEqual([
      {
        ParticipantObjectTypeCode: 2,
        ParticipantObjectTypeCodeRole: 3,
        ParticipantObjectIDTypeCode: {
          'csd-code': '110180',
          codeSystemName: 'DCM',
          originalText: 'Study Instance UID',
        },
        ParticipantObjectID: '1.2',
        ParticipantObjectDetail: [
          { type: 'SeriesInstanceUID', value: '3.4' },
          { type: 'SOPInstanceUID', value: '5.6' },
        ],
      },
    ]);
    expect(record.pacs).toEqual({
      action: AccessAction.Retrieve,
      requestId: 'req-1',
      method: 'GET',
      route: '/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames',
      status: 200,
      aborted: false,
      partitionId: 2,
    });
  });

  it('names the patient record and the attributes a retrieve sent changed (PS3.15 A.5.3.7 Patient participant)', () => {
    const record = buildAuditRecord(
      facts('GET', '/dicomweb/studies/1.2/series/3.4/metadata', {
        coercion: {
          patient: { patientId: 'P-7', issuer: 'HOSP', version: 3 },
          instances: [
            { studyUid: '1.2', seriesUid: '3.4', sopUid: '5.6', tags: ['00100010', '00100030'] },
            { studyUid: '1.2', seriesUid: '3.4', sopUid: '5.7', tags: ['00100010', '00100030'] },
            { studyUid: '1.2', seriesUid: '3.4', sopUid: '5.8', tags: ['00100020'] },
          ],
        },
      }),
    );
    expect(record.EventIdentification.EventID['csd-code']).toBe('110104');
    expect(record.ParticipantObjectIdentification[1]).toEqual({
      ParticipantObjectTypeCode: 1,
      ParticipantObjectTypeCodeRole: 1,
      ParticipantObjectIDTypeCode: { 'csd-code': '2', codeSystemName: 'RFC-3881', originalText: 'Patient Number' },
      ParticipantObjectID: 'P-7^^^HOSP',
      ParticipantObjectDetail: [{ type: 'PatientRecordVersion', value: '3' }],
    });
    expect(record.pacs.coercion).toEqual({
      patientRecordVersion: 3,
      coerced: [
        { tags: ['00100010', '00100030'], SOPInstanceUIDs: ['5.6', '5.7'] },
        { tags: ['00100020'], SOPInstanceUIDs: ['5.8'] },
      ],
    });
    // Tags, not values: nothing of the record's content is in the record.
    expect(JSON.stringify(record)).not.toMatch(/Alphabetic|\^Name/);
  });

  it('has no patient participant and no coercion when the stored values were sent', () => {
    const record = buildAuditRecord(facts('GET', '/dicomweb/studies/1.2/metadata'));
    expect(record.ParticipantObjectIdentification).toHaveLength(1);
    expect(record.pacs.coercion).toBeUndefined();
  });

  it('records a search as a Query (E) with the query base64-encoded (PS3.15 A.5.3.10)', () => {
    const record = buildAuditRecord(facts('GET', '/dicomweb/studies', { query: 'PatientName=M%C3%BCller*' }));
    expect(record.EventIdentification.EventID['csd-code']).toBe('110112');
    expect(record.EventIdentification.EventActionCode).toBe('E');
    const [query] = record.ParticipantObjectIdentification;
    expect(query!.ParticipantObjectTypeCodeRole).toBe(24);
    expect(Buffer.from(query!.ParticipantObjectQuery!, 'base64').toString()).toBe('PatientName=M%C3%BCller*');
  });

  it('records a store as Create with the requestor as source', () => {
    const record = buildAuditRecord(facts('POST', '/dicomweb/studies'));
    expect(record.EventIdentification.EventActionCode).toBe('C');
    expect(record.ActiveParticipant[0]!.RoleIDCode![0]!['csd-code']).toBe('110153');
  });

  it('records a refused request as a failure of an anonymous requestor', () => {
    const record = buildAuditRecord(facts('GET', '/dicomweb/studies', { status: 401, principal: undefined }));
    expect(record.EventIdentification.EventOutcomeIndicator).toBe(4);
    expect(record.ActiveParticipant[0]!.UserID).toBe('anonymous');
    expect(record.pacs.partitionId).toBeUndefined();
  });

  it('records a server failure as serious and a cut response as a minor failure', () => {
    expect(
      buildAuditRecord(facts('GET', '/dicomweb/studies/1.2', { status: 503 })).EventIdentification
        .EventOutcomeIndicator,
    ).toBe(8);
    const cut = buildAuditRecord(
      facts('GET', '/dicomweb/studies/1.2', { aborted: true, principal: anonymousPrincipal }),
    );
    expect(cut.EventIdentification).toMatchObject({
      EventOutcomeIndicator: 4,
      EventOutcomeDescription: 'HTTP 200, response not completed',
    });
  });
});
