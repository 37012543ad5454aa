import { buildHl7, buildSegment, formatHl7DateTime } from './build-hl7';
import { defaultDelimiters } from './delimiters';
import { HL7_NULL } from './hl7-message';
import { parseHl7 } from './parse-hl7';

describe('buildHl7', () => {
  const now = new Date(Date.UTC(2024, 2, 1, 12, 30, 5));

  it('writes MSH with MSH-1/MSH-2 from the delimiters and the header fields at their numbers', () => {
    const text = buildHl7({
      header: {
        sendingApplication: 'PACS',
        sendingFacility: 'RAD',
        receivingApplication: 'RIS',
        receivingFacility: 'HOSP',
        dateTime: now,
        messageType: 'ADT^A08^ADT_A01',
        controlId: 'C1',
        charset: 'UNICODE UTF-8',
      },
      segments: [{ name: 'EVN', fields: ['A08'] }],
    });
    expect(text).toBe(
      'MSH|^~\\&|PACS|RAD|RIS|HOSP|20240301123005+0000||ADT^A08^ADT_A01|C1|P|2.5.1||||||UNICODE UTF-8\rEVN|A08',
    );
    const msg = parseHl7(text);
    expect(msg.get('MSH-18')).toBe('UNICODE UTF-8');
    expect(msg.messageType.structure).toBe('ADT_A01');
  });

  it('escapes values, so what is read back is what was written', () => {
    const text = buildHl7({
      header: { messageType: ['ORU', 'R01'], controlId: '1', dateTime: now },
      segments: [
        {
          name: 'OBX',
          fields: { 1: '1', 2: 'TX', 5: 'a|b^c&d~e\\f\r\nnext', 3: ['CODE^1', 'Text & more', 'L'] },
        },
      ],
    });
    const msg = parseHl7(text);
    expect(msg.get('OBX-5')).toBe('a|b^c&d~e\\f\r\nnext');
    expect(msg.get('OBX-3-1')).toBe('CODE^1');
    expect(msg.get('OBX-3-2')).toBe('Text & more');
    expect(msg.segments()).toHaveLength(2);
  });

  it('writes repetitions, subcomponents, encoded values and the HL7 null', () => {
    const seg = buildSegment(
      {
        name: 'PID',
        fields: {
          3: { repeat: [['ID1', '', '', ['HOSP', '1.2.3', 'ISO'], 'MR'], ['ID2']] },
          5: { encoded: 'DOE^JOHN' },
          8: HL7_NULL,
        },
      },
      defaultDelimiters,
    );
    expect(seg).toBe('PID|||ID1^^^HOSP&1.2.3&ISO^MR~ID2||DOE^JOHN|||""');
  });

  it('drops trailing empty fields, components and subcomponents', () => {
    expect(buildSegment({ name: 'PV1', fields: ['1', ['I', '', ''], '', null, undefined] })).toBe('PV1|1|I');
    expect(buildSegment({ name: 'ZZZ', fields: [] })).toBe('ZZZ');
  });

  it('formats dates in UTC with an explicit offset', () => {
    expect(formatHl7DateTime(now)).toBe('20240301123005+0000');
    expect(formatHl7DateTime('20240301')).toBe('20240301');
  });

  it('builds with other delimiters and escapes with them', () => {
    const delimiters = { field: '$', component: ':', repetition: '*', escape: '/', subcomponent: '%', truncation: '' };
    const text = buildHl7({
      delimiters,
      header: { messageType: 'ADT:A08', controlId: '9', dateTime: now },
      segments: [{ name: 'PID', fields: { 5: ['A$B', 'C:D'] } }],
    });
    expect(text.startsWith('MSH$:*/%$')).toBe(true);
    const msg = parseHl7(text);
    expect(msg.get('PID-5-1')).toBe('A$B');
    expect(msg.get('PID-5-2')).toBe('C:D');
  });
});
