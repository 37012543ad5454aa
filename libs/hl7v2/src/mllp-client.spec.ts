import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { buildAck } from './build-ack';
import { Hl7ParseError } from './hl7-error';
import { MllpClient, MllpError, type MllpClientEvent } from './mllp-client';
import { encodeMllpFrame, MllpFrameReader } from './mllp-frame-reader';
import { MllpServer } from './mllp-server';
import { parseHl7 } from './parse-hl7';

// Loopback servers in this process; the receivers misbehave on purpose.
const msg = (id: string): string => `MSH|^~\\&|PACS|RAD|RIS|HOSP|20240101||ORU^R01^ORU_R01|${id}|P|2.5.1\rPID|||1`;

/** A receiver whose behaviour per received message is scripted. */
function scriptedReceiver(
  onMessage: (text: string, socket: Socket, n: number) => void,
): Promise<{ server: Server; port: number }> {
  let n = 0;
  const server = createServer((socket) => {
    const reader = new MllpFrameReader({ maxFrameBytes: 1 << 20 });
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const e of reader.push(chunk)) if (e.type === 'frame') onMessage(e.payload.toString('utf8'), socket, ++n);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}
const ackFrame = (text: string, id?: string): Buffer => {
  const ack = buildAck(parseHl7(text), { code: 'AA' });
  return encodeMllpFrame(Buffer.from(id ? ack.replace(/MSA\|AA\|[^\r|]*/, `MSA|AA|${id}`) : ack));
};

describe('MllpClient', () => {
  const closers: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const client = (port: number, options: Partial<ConstructorParameters<typeof MllpClient>[0]> = {}): MllpClient => {
    const c = new MllpClient({ host: '127.0.0.1', port, initialBackoffMs: 20, maxBackoffMs: 100, ...options });
    closers.push(() => c.close());
    return c;
  };

  it('sends messages over one connection and returns each ACK', async () => {
    let connections = 0;
    const server = new MllpServer({
      handler: () => ({ code: 'AA' }),
      onEvent: (e) => void (e.type === 'connection' && connections++),
    });
    const { port } = await server.listen();
    closers.push(() => server.close(200));
    const c = client(port);
    const results = await Promise.all([c.send(msg('1')), c.send(msg('2')), c.send(parseHl7(msg('3')))]);
    expect(results.map((r) => [r.code, r.ack.get('MSA-2'), r.attempts])).toEqual([
      ['AA', '1', 1],
      ['AA', '2', 1],
      ['AA', '3', 1],
    ]);
    expect(connections).toBe(1);
  });

  it('returns AE and AR answers without retrying', async () => {
    const server = new MllpServer({ handler: () => ({ code: 'AE', error: { code: 207, text: 'later' } }) });
    const { port } = await server.listen();
    closers.push(() => server.close(200));
    const result = await client(port).send(msg('e'));
    expect([result.code, result.text, result.attempts]).toEqual(['AE', 'later', 1]);
  });

  it('reconnects when the receiver closes the connection after every ACK', async () => {
    const { server, port } = await scriptedReceiver((text, socket) => socket.end(ackFrame(text)));
    closers.push(() => new Promise((r) => server.close(r)));
    const c = client(port);
    for (const id of ['a', 'b', 'c']) expect((await c.send(msg(id))).ack.get('MSA-2')).toBe(id);
  });

  it('retries with backoff until the receiver is up', async () => {
    const probe = createServer();
    const port = await new Promise<number>((r) =>
      probe.listen(0, '127.0.0.1', () => r((probe.address() as AddressInfo).port)),
    );
    await new Promise((r) => probe.close(r));
    const events: MllpClientEvent[] = [];
    const c = client(port, { maxAttempts: 20, onEvent: (e) => events.push(e) });
    const sending = c.send(msg('late'));
    await new Promise((r) => setTimeout(r, 150));
    const server = new MllpServer({ port, handler: () => ({ code: 'AA' }) });
    await server.listen();
    closers.push(() => server.close(200));
    const result = await sending;
    expect(result.code).toBe('AA');
    expect(result.attempts).toBeGreaterThan(1);
    expect(
      events.filter((e) => e.type === 'retry').every((e) => e.type === 'retry' && e.error.code === 'ConnectFailed'),
    ).toBe(true);
  });

  it('resends after an ACK timeout, skipping the late ACK of the first try', async () => {
    const { server, port } = await scriptedReceiver((text, socket, n) => {
      // First try: answer too late, with the right id, on a connection the client has given up.
      if (n === 1) setTimeout(() => socket.writable && socket.write(ackFrame(text)), 300);
      else socket.write(Buffer.concat([ackFrame(text, 'someone-else'), ackFrame(text)]));
    });
    closers.push(() => new Promise((r) => server.close(r)));
    const result = await client(port, { ackTimeoutMs: 100 }).send(msg('t'));
    expect([result.code, result.ack.get('MSA-2'), result.attempts]).toEqual(['AA', 't', 2]);
  });

  it('fails with a retryable MllpError after maxAttempts', async () => {
    const { server, port } = await scriptedReceiver(() => undefined);
    closers.push(() => new Promise((r) => server.close(r)));
    const error = await client(port, { ackTimeoutMs: 50, maxAttempts: 3 })
      .send(msg('never'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MllpError);
    expect(error).toMatchObject({ code: 'AckTimeout', retryable: true });
  });

  it('fails without retrying on an unreadable ACK', async () => {
    const { server, port } = await scriptedReceiver((_, socket) =>
      socket.write(encodeMllpFrame(Buffer.from('not hl7'))),
    );
    closers.push(() => new Promise((r) => server.close(r)));
    await expect(client(port).send(msg('x'))).rejects.toMatchObject({ code: 'InvalidAck', retryable: false });
  });

  it('refuses to send text that is not an HL7 message', async () => {
    await expect(client(1).send('hello')).rejects.toBeInstanceOf(Hl7ParseError);
  });
});
