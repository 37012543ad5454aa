import { buildOruR01, type OruR01Input } from './build-oru-r01';
import { parseHl7 } from './parse-hl7';

const input: OruR01Input = {
  sendingApplication: 'PACS',
  sendingFacility: 'RADIOLOGY',
  receivingApplication: 'RIS',
  receivingFacility: 'HOSP',
  controlId: 'ORU1',
  dateTime: new Date(Date.UTC(2024, 2, 5, 9, 0, 0)),
  patient: { id: 'PAT001', issuer: 'HOSP', name: 'MÜLLER^HANS^^DR', birthDate: '19700101', sex: 'M' },
  visit: { visitNumber: 'V0001' },
  order: {
    placerOrderNumber: 'PLC001',
    fillerOrderNumber: 'FIL001',
    accessionNumber: 'ACC0001',
    requestedProcedureId: 'RP0001',
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
    procedure: { code: 'RPID2', meaning: 'CT Head', scheme: 'RADLEX' },
    observationDateTime: '20240305083000',
  },
  report: {
    status: 'F',
    text: 'No acute findings.\nVentricles normal | midline & symmetric.',
    impression: 'Normal CT head.',
    interpreter: 'HOUSE^GREGORY^^DR',
  },
};

describe('buildOruR01', () => {
  it('writes the fields a RIS reads from an imaging report (IHE RAD-128 / RAD-28)', () => {
    const msg = parseHl7(buildOruR01(input));
    expect(msg.messageType).toEqual({ code: 'ORU', trigger: 'R01', structure: 'ORU_R01' });
    expect(msg.version).toBe('2.5.1');
    expect(msg.get('MSH-18')).toBe('UNICODE UTF-8');
    expect(msg.segments().map((s) => s.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'OBR', 'OBX', 'OBX', 'OBX', 'OBX']);
    expect(msg.raw('PID-3')).toBe('PAT001^^^HOSP^PI');
    expect(msg.raw('PID-5')).toBe('MÜLLER^HANS^^^DR');
    expect(msg.get('PID-7')).toBe('19700101');
    expect(msg.get('PID-8')).toBe('M');
    expect(msg.get('PV1-2')).toBe('U');
    expect(msg.get('PV1-19')).toBe('V0001');
    expect(msg.get('ORC-1')).toBe('RE');
    expect(msg.get('OBR-2')).toBe('PLC001');
    expect(msg.get('OBR-3')).toBe('FIL001');
    expect(msg.raw('OBR-4')).toBe('RPID2^CT Head^RADLEX');
    expect(msg.get('OBR-7')).toBe('20240305083000');
    expect(msg.get('OBR-18')).toBe('ACC0001');
    expect(msg.get('OBR-19')).toBe('RP0001');
    expect(msg.get('OBR-24')).toBe('RAD');
    expect(msg.get('OBR-25')).toBe('F');
    expect(msg.raw('OBR-32')).toBe('&HOUSE&GREGORY&&&DR');
    expect(msg.raw('OBR-44')).toBe('RPID2^CT Head^RADLEX');
  });

  it('carries the Study Instance UID as a DCM 113014 observation and the report as TX lines', () => {
    const msg = parseHl7(buildOruR01(input));
    expect(msg.raw('OBX[1]-3')).toBe('113014^DICOM Study^DCM');
    expect(msg.get('OBX[1]-2')).toBe('ST');
    expect(msg.get('OBX[1]-5')).toBe('1.2.826.0.1.3680043.8.498.1');
    expect(msg.get('OBX[1]-11')).toBe('O');
    expect(msg.get('OBX[2]-5')).toBe('No acute findings.');
    expect(msg.get('OBX[3]-5')).toBe('Ventricles normal | midline & symmetric.');
    expect(msg.get('OBX[3]-3')).toBe('18782-3');
    expect(msg.get('OBX[3]-4')).toBe('1');
    expect(msg.get('OBX[4]-3')).toBe('19005-8');
    expect(msg.get('OBX[4]-4')).toBe('2');
    expect(msg.segments('OBX').map((s) => s.value(1))).toEqual(['1', '2', '3', '4']);
    expect(
      msg
        .segments('OBX')
        .slice(1)
        .every((s) => s.value(11) === 'F'),
    ).toBe(true);
  });

  it('puts a section in one FT observation with \\.br\\ line breaks when asked', () => {
    const msg = parseHl7(buildOruR01({ ...input, report: { ...input.report, format: 'FT', impression: undefined } }));
    expect(msg.segments('OBX')).toHaveLength(2);
    expect(msg.get('OBX[2]-2')).toBe('FT');
    expect(msg.raw('OBX[2]-5')).toBe('No acute findings.\\.br\\Ventricles normal \\F\\ midline \\T\\ symmetric.');
    expect(msg.get('OBX[2]-5')).toBe('No acute findings.\nVentricles normal | midline & symmetric.');
  });
});
