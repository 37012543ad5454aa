import { fixture } from '../fixtures/fixture';
import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';
import { parseHl7 } from './parse-hl7';

function parseError(text: string): Hl7ParseError {
  try {
    parseHl7(text);
  } catch (e) {
    if (e instanceof Hl7ParseError) return e;
    throw e;
  }
  throw new Error('expected a Hl7ParseError');
}

describe('parseHl7', () => {
  const a01 = fixture('adt-a01-v251.hl7');

  it('reads the standard ADT^A01 example with HL7 field numbering', () => {
    const msg = parseHl7(a01);
    expect(msg.messageType).toEqual({ code: 'ADT', trigger: 'A01', structure: 'ADT_A01' });
    expect(msg.controlId).toBe('MSG00001');
    expect(msg.version).toBe('2.5.1');
    expect(msg.get('MSH-3')).toBe('ADT1');
    expect(msg.get('PID-5-1')).toBe('EVERYMAN');
    expect(msg.get('PID-5-2')).toBe('ADAM');
    expect(msg.get('PID-5')).toBe('EVERYMAN');
    expect(msg.get('PID-7')).toBe('19610615');
    expect(msg.get('PV1-7-2')).toBe('ATTEND');
    expect(msg.segments().map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'NK1', 'PV1']);
  });

  it('numbers MSH-1 as the field separator and MSH-2 as the encoding characters', () => {
    const msg = parseHl7(a01);
    expect(msg.get('MSH-1')).toBe('|');
    expect(msg.get('MSH-2')).toBe('^~\\&');
    expect(msg.raw('MSH-2')).toBe('^~\\&');
    expect(msg.get('MSH-9-2')).toBe('A01');
    expect(msg.header.value(12)).toBe('2.5.1');
  });

  it('indexes repetitions from 1: PID-3[2] is the second identifier', () => {
    const msg = parseHl7(a01);
    expect(msg.repetitionCount('PID-3')).toBe(2);
    expect(msg.get('PID-3[1]-1')).toBe('PATID1234');
    expect(msg.get('PID-3-1')).toBe('PATID1234');
    expect(msg.get('PID-3[2]-1')).toBe('123456789');
    expect(msg.get('PID-3[2]-4')).toBe('USSSA');
    expect(msg.get('PID-3[3]-1')).toBe('');
    expect(msg.raw('PID-3')).toBe('PATID1234^^^GOOD HEALTH HOSPITAL^MR~123456789^^^USSSA^SS');
    expect(msg.raw('PID-3[2]')).toBe('123456789^^^USSSA^SS');
  });

  it('reads subcomponents and segment repetitions', () => {
    const msg = parseHl7(
      'MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rPID|||X^^^HOSP&1.2.3&ISO\rOBX|1|ST|a||first\rOBX|2|ST|b||second',
    );
    expect(msg.get('PID-3-4-1')).toBe('HOSP');
    expect(msg.get('PID-3-4-2')).toBe('1.2.3');
    expect(msg.get('PID-3-4-3')).toBe('ISO');
    expect(msg.get('PID.3.4.2')).toBe('1.2.3');
    expect(msg.get('OBX[2]-5')).toBe('second');
    expect(msg.get('OBX-5')).toBe('first');
    expect(msg.segments('OBX')).toHaveLength(2);
    expect(msg.segments('OBX')[1]?.index).toBe(2);
    expect(msg.get('ZZZ-1')).toBe('');
  });

  it('accepts CR, CRLF and LF between segments and ignores empty lines', () => {
    for (const sep of ['\r', '\r\n', '\n', '\r\r']) {
      const msg = parseHl7(a01.split('\r').join(sep) + sep);
      expect(msg.segments()).toHaveLength(5);
      expect(msg.get('PV1-2')).toBe('I');
    }
  });

  it('uses the delimiters MSH-1 and MSH-2 declare, whatever they are', () => {
    const msg = parseHl7('MSH$:*/%$A$B$$$$$ADT:A08$7$P$2.4\rPID$$$ID1:::HOSP%1.2*ID2$$DOE:JANE/S/MARY');
    expect(msg.delimiters).toMatchObject({
      field: '$',
      component: ':',
      repetition: '*',
      escape: '/',
      subcomponent: '%',
    });
    expect(msg.messageType.trigger).toBe('A08');
    expect(msg.get('PID-3-4-2')).toBe('1.2');
    expect(msg.get('PID-3[2]-1')).toBe('ID2');
    expect(msg.get('PID-5-2')).toBe('JANE:MARY');
  });

  it('reads the v2.7 truncation character and its \\P\\ escape', () => {
    const msg = parseHl7('MSH|^~\\&#|A|B|C|D|20240101||ADT^A08^ADT_A01|1|P|2.7\rPID|||1||LONGNAM#^X\\P\\Y');
    expect(msg.delimiters.truncation).toBe('#');
    expect(msg.get('PID-5-1')).toBe('LONGNAM#');
    expect(msg.get('PID-5-2')).toBe('X#Y');
  });

  it('accepts an MSH-2 without escape and subcomponent characters', () => {
    const msg = parseHl7('MSH|^~|A|B|C|D|20240101||ADT^A08|1|P|2.3\rPID|||1^^^A&B||X\\F\\Y');
    expect(msg.delimiters.escape).toBe('');
    expect(msg.get('PID-3-4')).toBe('A&B');
    expect(msg.get('PID-5')).toBe('X\\F\\Y');
  });

  it('keeps the text it was given when serialised again', () => {
    expect(parseHl7(a01).toString()).toBe(a01);
  });

  it.each([
    ['text without MSH', 'PID|||1', Hl7ErrorCode.SegmentSequenceError, 'MSH'],
    ['an empty string', '', Hl7ErrorCode.SegmentSequenceError, 'MSH'],
    ['an alphanumeric field separator', 'MSHA^~\\&A', Hl7ErrorCode.DataTypeError, 'MSH-1'],
    ['repeated encoding characters', 'MSH|^^\\&|A', Hl7ErrorCode.DataTypeError, 'MSH-2'],
    ['a one-character MSH-2', 'MSH|^|A', Hl7ErrorCode.DataTypeError, 'MSH-2'],
    ['no message type', 'MSH|^~\\&|A|B|C|D|2024||||P|2.5', Hl7ErrorCode.RequiredFieldMissing, 'MSH-9'],
    ['no control id', 'MSH|^~\\&|A|B|C|D|2024||ADT^A01||P|2.5', Hl7ErrorCode.RequiredFieldMissing, 'MSH-10'],
    ['no processing id', 'MSH|^~\\&|A|B|C|D|2024||ADT^A01|1||2.5', Hl7ErrorCode.RequiredFieldMissing, 'MSH-11'],
    ['no version', 'MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P', Hl7ErrorCode.RequiredFieldMissing, 'MSH-12'],
    ['a v3 version', 'MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|3.0', Hl7ErrorCode.UnsupportedVersionId, 'MSH-12'],
    [
      'a lower-case segment ID',
      'MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rpid|1',
      Hl7ErrorCode.SegmentSequenceError,
      undefined,
    ],
    [
      'a truncated segment ID',
      'MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rPI',
      Hl7ErrorCode.SegmentSequenceError,
      undefined,
    ],
    [
      'a second MSH',
      'MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rMSH|^~\\&|A',
      Hl7ErrorCode.SegmentSequenceError,
      'MSH[2]',
    ],
  ])('rejects %s', (_, text, code, location) => {
    const e = parseError(text);
    expect(e.code).toBe(code);
    expect(e.location).toBe(location);
  });

  it('reads every fixture of the standard and IHE examples', () => {
    for (const name of [
      'adt-a08-v23.hl7',
      'adt-a40-v25.hl7',
      'oru-r01-v24.hl7',
      'orm-o01-rad4-v231.hl7',
      'omi-o23-rad4-v251.hl7',
    ]) {
      const msg = parseHl7(fixture(name));
      expect(msg.controlId).not.toBe('');
      expect(msg.toString()).toBe(fixture(name));
    }
    expect(parseHl7(fixture('oru-r01-v24.hl7')).get('OBX-5-2')).toBe('182');
  });
});
