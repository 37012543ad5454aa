import { buildAck } from './build-ack';
import { Hl7ErrorCode } from './hl7-error';
import { parseHl7 } from './parse-hl7';
import { fixture } from '../fixtures/fixture';

const now = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

describe('buildAck', () => {
  const a01 = parseHl7(fixture('adt-a01-v251.hl7'));

  it('acknowledges with AA: swapped applications, MSA-2 = MSH-10, same version', () => {
    const ack = parseHl7(buildAck(a01, { code: 'AA' }, { now, controlId: 'ACK1' }));
    expect(ack.get('MSH-3')).toBe('GHH LAB, INC.');
    expect(ack.get('MSH-4')).toBe('GOOD HEALTH HOSPITAL');
    expect(ack.get('MSH-5')).toBe('ADT1');
    expect(ack.get('MSH-6')).toBe('GOOD HEALTH HOSPITAL');
    expect(ack.get('MSH-7')).toBe('20240102030405+0000');
    expect(ack.raw('MSH-9')).toBe('ACK^A01^ACK');
    expect(ack.get('MSH-10')).toBe('ACK1');
    expect(ack.get('MSH-11')).toBe('P');
    expect(ack.version).toBe('2.5.1');
    expect(ack.get('MSA-1')).toBe('AA');
    expect(ack.get('MSA-2')).toBe('MSG00001');
    expect(ack.segments('ERR')).toHaveLength(0);
  });

  it('writes ERR-2 location, ERR-3 code from table 0357, ERR-4 severity and ERR-8 text from v2.5', () => {
    const text = buildAck(a01, {
      code: 'AE',
      error: { code: Hl7ErrorCode.RequiredFieldMissing, text: 'PID-3 is empty', location: 'PID-3[1]-1' },
    });
    const ack = parseHl7(text);
    expect(ack.get('MSA-1')).toBe('AE');
    expect(ack.raw('ERR-2')).toBe('PID^1^3^1^1');
    expect(ack.raw('ERR-3')).toBe('101^Required field missing^HL70357');
    expect(ack.get('ERR-4')).toBe('E');
    expect(ack.get('ERR-8')).toBe('PID-3 is empty');
    expect(ack.get('MSA-3')).toBe('PID-3 is empty');
  });

  it('writes ERR-1 (ELD) for versions before 2.5', () => {
    const v23 = parseHl7(fixture('adt-a08-v23.hl7'));
    const ack = parseHl7(
      buildAck(v23, { code: 'AR', error: { code: Hl7ErrorCode.UnsupportedEventCode, location: 'MSH-9-2' } }),
    );
    expect(ack.version).toBe('2.3');
    expect(ack.raw('MSH-9')).toBe('ACK');
    expect(ack.raw('ERR-1')).toBe('MSH^1^9^201&Unsupported event code&HL70357');
  });

  it('keeps the delimiters and charset of the message acknowledged, and escapes the error text', () => {
    const msg = parseHl7('MSH$:*/%$APP$FAC$PACS$RAD$2024$$ADT:A08$X1$T$2.6$$$$$$8859/1');
    const ack = buildAck(msg, { code: 'AE', error: { code: 207, text: 'a$b:c' } });
    expect(ack.startsWith('MSH$:*/%$PACS$RAD$APP$FAC$')).toBe(true);
    const parsed = parseHl7(ack);
    expect(parsed.get('MSH-11')).toBe('T');
    expect(parsed.get('MSH-18')).toBe('8859/1');
    expect(parsed.get('ERR-8')).toBe('a$b:c');
  });

  it('drops MSA-3, withdrawn in v2.7', () => {
    const msg = parseHl7('MSH|^~\\&|A|B|C|D|2024||ADT^A08^ADT_A01|X|P|2.8');
    const ack = parseHl7(buildAck(msg, { code: 'AE', text: 'nope', error: { code: 207, text: 'nope' } }));
    expect(ack.get('MSA-3')).toBe('');
    expect(ack.get('ERR-8')).toBe('nope');
  });

  it('answers raw text it could not parse, echoing what of MSH can be read', () => {
    const ack = parseHl7(
      buildAck('MSH|^~\\&|RIS|H|PACS|R|2024||ADT^A01|CTRL9|P|9.9\rPID', {
        code: 'AR',
        error: { code: Hl7ErrorCode.UnsupportedVersionId, location: 'MSH-12' },
      }),
    );
    expect(ack.get('MSA-2')).toBe('CTRL9');
    expect(ack.get('MSH-5')).toBe('RIS');
    expect(ack.version).toBe('2.5.1');
    expect(ack.raw('ERR-2')).toBe('MSH^1^12');

    const garbage = parseHl7(buildAck('\x00\x01binary', { code: 'AR', error: { code: 100, location: 'MSH' } }));
    expect(garbage.get('MSA-1')).toBe('AR');
    expect(garbage.get('MSA-2')).toBe('');
    expect(garbage.raw('ERR-2')).toBe('MSH^1');
  });
});
