import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { buildAck, type AckSpec } from './build-ack';
import { decodeHl7Bytes, encodeHl7Text, readCharsetField } from './charset';
import { Hl7Error, Hl7ErrorCode, rejectingErrorCodes } from './hl7-error';
import { type Hl7Message } from './hl7-message';
import { encodeMllpFrame, MllpFrameReader } from './mllp-frame-reader';
import { parseHl7, type ParseHl7Options } from './parse-hl7';

/**
 * Handles one received message and says how to acknowledge it. A returned AckSpec is sent as is; a thrown
 * Hl7Error becomes AR when its code rejects the message (200–203: type, event, processing id, version)
 * and AE otherwise, with its code, text and location in ERR; any other throw becomes AE with code 207
 * and a fixed text (the error itself goes to onEvent, never to the sender).
 */
export type Hl7Handler = (message: Hl7Message, raw: string) => Promise<AckSpec> | AckSpec;

export type MllpServerEvent =
  | { readonly type: 'connection'; readonly remote: string }
  | { readonly type: 'disconnect'; readonly remote: string }
  | { readonly type: 'message'; readonly remote: string; readonly controlId: string; readonly ack: string }
  | { readonly type: 'garbage'; readonly remote: string; readonly bytes: number }
  | { readonly type: 'oversize'; readonly remote: string; readonly size: number }
  | { readonly type: 'rejected'; readonly remote: string; readonly error: Hl7Error }
  | { readonly type: 'handler-error'; readonly remote: string; readonly error: unknown }
  | { readonly type: 'idle-timeout'; readonly remote: string }
  | { readonly type: 'socket-error'; readonly remote: string; readonly error: Error };

export interface MllpServerOptions {
  readonly handler: Hl7Handler;
  /** 127.0.0.1 by default. */
  readonly host?: string;
  /** 0 (any free port) by default; see MllpServer.address. */
  readonly port?: number;
  /** Largest message accepted, in bytes; 10 MiB by default. */
  readonly maxMessageBytes?: number;
  /** A connection without traffic for this long, and with no message being handled, is closed. 5 min. */
  readonly idleTimeoutMs?: number;
  /** A handler that has not answered after this long gets its message answered AE 207. 60 s. */
  readonly handlerTimeoutMs?: number;
  /** Connections beyond this are refused by the OS listener. 1000 by default. */
  readonly maxConnections?: number;
  /** Received messages waiting for their turn on one connection before reading pauses. 16 by default. */
  readonly maxQueuedPerConnection?: number;
  readonly parse?: Pick<ParseHl7Options, 'formatting'>;
  /** Observability hook (logging, metrics); never throws into the server. */
  readonly onEvent?: (event: MllpServerEvent) => void;
}

const MiB = 1024 * 1024;

type Work =
  | { readonly kind: 'frame'; readonly payload: Buffer }
  | { readonly kind: 'oversize'; readonly size: number; readonly prefix: Buffer };

/**
 * An HL7 v2 receiver over MLLP (plain node:net). One connection carries any number of messages; they are
 * handled one after the other and acknowledged in order (v2.5 §2.9.2 original mode). What it does with
 * bad input — it never throws and keeps serving:
 * - bytes that are not valid for MSH-18, or a message parseHl7 rejects → AR with ERR (code, location);
 * - a message over maxMessageBytes → its bytes are dropped as they arrive (memory stays bounded),
 *   then it is answered AR (207, "exceeds the limit") echoing its MSH-10 when the MSH could be read,
 *   and the connection stays open for the next message;
 * - bytes outside a frame are skipped (reported as 'garbage'), see MllpFrameReader.
 */
export class MllpServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly options: Required<Omit<MllpServerOptions, 'onEvent' | 'parse'>> &
    Pick<MllpServerOptions, 'onEvent' | 'parse'>;

  constructor(options: MllpServerOptions) {
    this.options = {
      host: '127.0.0.1',
      port: 0,
      maxMessageBytes: 10 * MiB,
      idleTimeoutMs: 300_000,
      handlerTimeoutMs: 60_000,
      maxConnections: 1000,
      maxQueuedPerConnection: 16,
      ...options,
    };
    // allowHalfOpen: a sender that half-closes after its last message still gets every ACK.
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server.maxConnections = this.options.maxConnections;
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, lets each connection finish and acknowledge the messages it already received, then
   * closes it; connections still open after `graceMs` are destroyed.
   */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const all = [...this.connections].map((c) => c.shutdown(graceMs));
    await Promise.all(all);
    await closed;
  }

  /** @internal */
  emit(event: MllpServerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // An observer's failure must not take the server down.
    }
  }

  private accept(socket: Socket): void {
    const connection = new Connection(socket, this, this.options);
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      this.emit({ type: 'disconnect', remote: connection.remote });
    });
    this.emit({ type: 'connection', remote: connection.remote });
  }

  /**
   * The ACK for one received payload. Never throws: every failure becomes AR or AE.
   * @internal
   */
  async answer(work: Work, remote: string): Promise<string> {
    if (work.kind === 'oversize') {
      this.emit({ type: 'oversize', remote, size: work.size });
      return buildAck(work.prefix.toString('latin1'), {
        code: 'AR',
        error: {
          code: Hl7ErrorCode.ApplicationInternalError,
          text: `message of ${work.size} bytes exceeds the limit of ${this.options.maxMessageBytes} bytes`,
        },
      });
    }
    let text: string;
    let message: Hl7Message;
    try {
      const decoded = decodeHl7Bytes(work.payload);
      text = decoded.text;
      message = parseHl7(text, { ...this.options.parse, charset: decoded.charset });
    } catch (error) {
      const e = asHl7Error(error);
      this.emit({ type: 'rejected', remote, error: e });
      return buildAck(work.payload.toString('latin1'), {
        code: 'AR',
        error: { code: e.code, text: e.message, location: e.location },
      });
    }
    let spec: AckSpec;
    try {
      spec = await this.callHandler(message, text);
    } catch (error) {
      this.emit({ type: 'handler-error', remote, error });
      spec = ackForError(error);
    }
    try {
      const ack = buildAck(message, spec);
      this.emit({ type: 'message', remote, controlId: message.controlId, ack: spec.code });
      return ack;
    } catch (error) {
      this.emit({ type: 'handler-error', remote, error });
      return buildAck(message, ackForError(error));
    }
  }

  private async callHandler(message: Hl7Message, text: string): Promise<AckSpec> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Hl7Error(Hl7ErrorCode.ApplicationInternalError, 'the message was not processed in time')),
        this.options.handlerTimeoutMs,
      );
    });
    try {
      const spec = await Promise.race([Promise.resolve().then(() => this.options.handler(message, text)), timeout]);
      if (!spec || !['AA', 'AE', 'AR'].includes(spec.code)) throw new TypeError('the handler returned no AckSpec');
      return spec;
    } finally {
      clearTimeout(timer);
    }
  }
}

function asHl7Error(error: unknown): Hl7Error {
  if (error instanceof Hl7Error) return error;
  return new Hl7Error(Hl7ErrorCode.ApplicationInternalError, 'the message could not be read', { cause: error });
}

function ackForError(error: unknown): AckSpec {
  if (error instanceof Hl7Error) {
    return {
      code: rejectingErrorCodes.has(error.code) ? 'AR' : 'AE',
      error: { code: error.code, text: error.message, location: error.location },
    };
  }
  return { code: 'AE', error: { code: Hl7ErrorCode.ApplicationInternalError, text: 'Application internal error' } };
}

/** The ACK in the charset of its MSH-18 (the one of the message acknowledged); UTF-8 when unknown. */
function encodeAck(ack: string): Buffer {
  const bytes = Buffer.from(ack, 'latin1');
  try {
    return encodeHl7Text(ack, readCharsetField(bytes));
  } catch {
    return Buffer.from(ack, 'utf8');
  }
}

class Connection {
  readonly remote: string;
  private readonly reader: MllpFrameReader;
  private readonly queue: Work[] = [];
  private busy = false;
  private paused = false;
  private closing = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly server: MllpServer,
    private readonly options: Required<
      Pick<MllpServerOptions, 'maxMessageBytes' | 'idleTimeoutMs' | 'maxQueuedPerConnection'>
    >,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.reader = new MllpFrameReader({ maxFrameBytes: options.maxMessageBytes });
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => this.onIdle());
    socket.on('error', (error) => this.server.emit({ type: 'socket-error', remote: this.remote, error }));
    socket.on('end', () => {
      // The peer is done sending: answer what was received, then close our side.
      this.closing = true;
      if (!this.busy) socket.end();
    });
  }

  shutdown(graceMs: number): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    this.closing = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), graceMs);
      timer.unref();
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (!this.busy) this.socket.end();
      else this.drained = () => this.socket.end();
    });
  }

  private onData(chunk: Buffer): void {
    for (const event of this.reader.push(chunk)) {
      if (event.type === 'frame') this.queue.push({ kind: 'frame', payload: event.payload });
      else if (event.type === 'oversize') this.queue.push({ kind: 'oversize', size: event.size, prefix: event.prefix });
      else this.server.emit({ type: 'garbage', remote: this.remote, bytes: event.bytes });
    }
    if (this.queue.length >= this.options.maxQueuedPerConnection && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    void this.drain();
  }

  private onIdle(): void {
    if (this.busy) return; // the handler timeout bounds how long this lasts
    this.server.emit({ type: 'idle-timeout', remote: this.remote });
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let work = this.queue.shift(); work; work = this.queue.shift()) {
        const ack = await this.server.answer(work, this.remote);
        if (this.socket.destroyed) return;
        if (!this.socket.writableEnded) this.socket.write(encodeMllpFrame(encodeAck(ack)));
        if (this.paused && this.queue.length < this.options.maxQueuedPerConnection) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } finally {
      this.busy = false;
    }
    if (this.drained) this.drained();
    else if (this.closing && !this.socket.writableEnded) this.socket.end();
  }
}
