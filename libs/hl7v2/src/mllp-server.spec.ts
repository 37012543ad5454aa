import { fixture } from '../fixtures/fixture';
import { RawMllpPeer } from '../fixtures/raw-mllp';
import { type AckSpec } from './build-ack';
import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { type Hl7Message } from './hl7-message';
import { encodeMllpFrame } from './mllp-frame-reader';
import { MllpServer, type MllpServerEvent, type MllpServerOptions } from './mllp-server';

// These tests run the server on 127.0.0.1 in this process: real sockets, nothing external.
const frame = (text: string, encoding: BufferEncoding = 'utf8'): Buffer => encodeMllpFrame(Buffer.from(text, encoding));
const msg = (id: string, type = 'ADT^A08^ADT_A01'): string =>
  `MSH|^~\\&|RIS|HOSP|PACS|RAD|20240101||${type}|${id}|P|2.5.1\rEVN|A08\rPID|||P${id}^^^HOSP||DOE^JOHN`;

describe('MllpServer', () => {
  let server: MllpServer;
  let received: Hl7Message[];
  let events: MllpServerEvent[];
  const peers: RawMllpPeer[] = [];

  async function start(options: Partial<MllpServerOptions> = {}): Promise<number> {
    received = [];
    events = [];
    server = new MllpServer({
      handler: (m): AckSpec => {
        received.push(m);
        return { code: 'AA' };
      },
      onEvent: (e) => events.push(e),
      ...options,
    });
    return (await server.listen()).port;
  }
  const open = async (port: number): Promise<RawMllpPeer> => {
    const peer = await RawMllpPeer.open(port);
    peers.push(peer);
    return peer;
  };

  afterEach(async () => {
    peers.splice(0).forEach((p) => p.close());
    await server?.close(500);
  });

  it('answers several messages on one connection in order, with AA echoing MSH-10', async () => {
    const peer = await open(await start());
    peer.write(Buffer.concat([frame(msg('1')), frame(msg('2')), frame(msg('3'))]));
    const acks = await peer.waitForAcks(3);
    expect(acks.map((a) => [a.get('MSA-1'), a.get('MSA-2')])).toEqual([
      ['AA', '1'],
      ['AA', '2'],
      ['AA', '3'],
    ]);
    expect(received.map((m) => m.get('PID-3-1'))).toEqual(['P1', 'P2', 'P3']);
  });

  it('reassembles messages split at every byte across writes', async () => {
    const port = await start();
    const bytes = Buffer.concat([frame(msg('a')), frame(msg('b'))]);
    const peer = await open(port);
    for (let i = 0; i < bytes.length; i++) {
      peer.write(bytes.subarray(i, i + 1));
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    expect((await peer.waitForAcks(2)).map((a) => a.get('MSA-2'))).toEqual(['a', 'b']);
  });

  it('turns a handler throw into AE 207 with a fixed text, and an Hl7Error into its code', async () => {
    const port = await start({
      handler: (m) => {
        if (m.controlId === 'boom') throw new Error('database password in message');
        if (m.controlId === 'type')
          throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, 'no ORU here', { location: 'MSH-9' });
        throw new Hl7Error(Hl7ErrorCode.RequiredFieldMissing, 'PID-3 is empty', { location: 'PID-3' });
      },
    });
    const peer = await open(port);
    peer.write(Buffer.concat([frame(msg('boom')), frame(msg('type')), frame(msg('field'))]));
    const [boom, type, field] = await peer.waitForAcks(3);
    expect([boom?.get('MSA-1'), boom?.get('ERR-3'), boom?.get('ERR-8')]).toEqual([
      'AE',
      '207',
      'Application internal error',
    ]);
    expect(boom?.toString()).not.toContain('password');
    expect([type?.get('MSA-1'), type?.get('ERR-3'), type?.raw('ERR-2')]).toEqual(['AR', '200', 'MSH^1^9']);
    expect([field?.get('MSA-1'), field?.get('ERR-3'), field?.raw('ERR-2')]).toEqual(['AE', '101', 'PID^1^3']);
    expect(events.filter((e) => e.type === 'handler-error')).toHaveLength(3);
  });

  it('answers AE 207 when the handler does not answer in time', async () => {
    const port = await start({ handlerTimeoutMs: 50, handler: () => new Promise<AckSpec>(() => undefined) });
    const peer = await open(port);
    peer.write(frame(msg('slow')));
    const [ack] = await peer.waitForAcks(1);
    expect([ack?.get('MSA-1'), ack?.get('MSA-2'), ack?.get('ERR-3')]).toEqual(['AE', 'slow', '207']);
  });

  describe('bad input: answers AR/AE and keeps serving', () => {
    const corpus: [string, Buffer, string, string][] = [
      ['no MSH', frame('PID|||1'), 'AR', '100'],
      ['binary garbage in a frame', encodeMllpFrame(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80])), 'AR', '100'],
      ['wrong encoding characters', frame('MSH|^^^^|A|B|C|D|1||ADT^A01|E1|P|2.5'), 'AR', '102'],
      ['missing MSH-9 and MSH-10', frame('MSH|^~\\&|A|B|C|D|1||||P|2.5'), 'AR', '101'],
      ['missing MSH-12', frame('MSH|^~\\&|A|B|C|D|1||ADT^A01|V1|P'), 'AR', '101'],
      ['an unsupported version', frame('MSH|^~\\&|A|B|C|D|1||ADT^A01|V3|P|3.0'), 'AR', '203'],
      ['a truncated message', frame('MSH|^~\\&|A|B'), 'AR', '101'],
      [
        'bytes not valid for MSH-18',
        Buffer.concat([
          Buffer.from([0x0b]),
          Buffer.from(msg('u8').replace('2.5.1', '2.5.1||||||UNICODE UTF-8'), 'latin1'),
          Buffer.from([0xff, 0x1c, 0x0d]),
        ]),
        'AR',
        '102',
      ],
      ['an unknown charset', frame(msg('cs').replace('2.5.1', '2.5.1||||||EBCDIC')), 'AR', '103'],
    ];

    it.each(corpus)('%s', async (_, bytes, code, error) => {
      const port = await start();
      const peer = await open(port);
      peer.write(bytes);
      peer.write(frame(msg('after')));
      const [ack, next] = await peer.waitForAcks(2);
      expect([ack?.get('MSA-1'), ack?.get('ERR-3')]).toEqual([code, error]);
      expect([next?.get('MSA-1'), next?.get('MSA-2')]).toEqual(['AA', 'after']);
      expect(events.some((e) => e.type === 'rejected')).toBe(true);
    });

    it('an unknown message type, rejected by the handler', async () => {
      const port = await start({
        handler: (m) => {
          if (m.messageType.code !== 'ADT')
            throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, `${m.messageType.code} not handled`, {
              location: 'MSH-9',
            });
          return { code: 'AA' };
        },
      });
      const peer = await open(port);
      peer.write(Buffer.concat([frame(msg('q', 'QRY^A19')), frame(msg('ok'))]));
      const [ack, next] = await peer.waitForAcks(2);
      expect([ack?.get('MSA-1'), ack?.get('ERR-3'), ack?.get('MSA-2')]).toEqual(['AR', '200', 'q']);
      expect(next?.get('MSA-1')).toBe('AA');
    });

    it('garbage before the start block is skipped without an answer', async () => {
      const peer = await open(await start());
      peer.write(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n\r\n'), frame(msg('g'))]));
      const [ack] = await peer.waitForAcks(1);
      expect(ack?.get('MSA-2')).toBe('g');
      expect(events).toContainEqual(expect.objectContaining({ type: 'garbage', bytes: 14 }));
    });

    it('a 10 MB message over the limit gets AR with its MSH-10, memory bounded, connection kept', async () => {
      const port = await start({ maxMessageBytes: 1024 * 1024 });
      const peer = await open(port);
      const big = msg('big') + '\rOBX|1|ED|PDF||' + 'A'.repeat(10 * 1024 * 1024);
      peer.write(frame(big));
      peer.write(frame(msg('small')));
      const [ack, next] = await peer.waitForAcks(2, 20_000);
      expect([ack?.get('MSA-1'), ack?.get('MSA-2'), ack?.get('ERR-3')]).toEqual(['AR', 'big', '207']);
      expect(ack?.get('ERR-8')).toContain('exceeds the limit');
      expect([next?.get('MSA-1'), next?.get('MSA-2')]).toEqual(['AA', 'small']);
      expect(received.map((m) => m.controlId)).toEqual(['small']);
    });

    it('a 10 MB message under the limit is handled', async () => {
      const port = await start();
      const peer = await open(port);
      const big = msg('big10') + '\rOBX|1|ED|PDF||' + 'A'.repeat(10 * 1024 * 1024 - 200);
      peer.write(frame(big));
      const [ack] = await peer.waitForAcks(1, 20_000);
      expect(ack?.get('MSA-1')).toBe('AA');
      expect(received[0]?.get('OBX-5').length).toBe(10 * 1024 * 1024 - 200);
    });
  });

  it('serves many connections at once', async () => {
    const port = await start({
      handler: async (m) => {
        await new Promise((r) => setTimeout(r, 5));
        received.push(m);
        return { code: 'AA' };
      },
    });
    const clients = await Promise.all(Array.from({ length: 50 }, () => open(port)));
    clients.forEach((c, i) => c.write(Buffer.concat([frame(msg(`${i}-1`)), frame(msg(`${i}-2`))])));
    const all = await Promise.all(clients.map((c) => c.waitForAcks(2)));
    all.forEach((acks, i) => expect(acks.map((a) => a.get('MSA-2'))).toEqual([`${i}-1`, `${i}-2`]));
    expect(received).toHaveLength(100);
  });

  it('answers in the charset of the message (ISO 8859-1 stays ISO 8859-1)', async () => {
    const port = await start({ handler: () => ({ code: 'AE', error: { code: 207, text: 'Müller unknown' } }) });
    const peer = await open(port);
    peer.write(frame(fixture('orm-o01-rad4-v231.hl7'), 'latin1'));
    const [ack] = await peer.waitForAcks(1);
    expect(ack?.get('MSH-18')).toBe('8859/1');
    // v2.3.1: the text goes to MSA-3 (ERR-8 exists from v2.5 on).
    expect(ack?.get('MSA-3')).toBe('Müller unknown');
  });

  it('closes a connection idle for longer than idleTimeoutMs', async () => {
    const peer = await open(await start({ idleTimeoutMs: 100 }));
    await peer.waitForClose(3000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'idle-timeout' }));
  });

  it('answers what a sender sent before half-closing', async () => {
    const peer = await open(await start());
    peer.socket.end(frame(msg('last')));
    const [ack] = await peer.waitForAcks(1);
    expect(ack?.get('MSA-2')).toBe('last');
    await peer.waitForClose();
  });
});
