import { connect, type Socket } from 'node:net';
import { decodeHl7Bytes, encodeHl7Text } from './charset';
import { type Hl7Message } from './hl7-message';
import { encodeMllpFrame, MllpFrameReader } from './mllp-frame-reader';
import { parseHl7 } from './parse-hl7';

/** Why a send failed; `retryable` says whether trying again later may succeed. */
export const MllpErrorCode = {
  ConnectFailed: 'ConnectFailed',
  ConnectTimeout: 'ConnectTimeout',
  ConnectionClosed: 'ConnectionClosed',
  AckTimeout: 'AckTimeout',
  InvalidAck: 'InvalidAck',
  ClientClosed: 'ClientClosed',
} as const;
export type MllpErrorCode = (typeof MllpErrorCode)[keyof typeof MllpErrorCode];

export class MllpError extends Error {
  override readonly name = 'MllpError';
  readonly retryable: boolean;
  constructor(
    readonly code: MllpErrorCode,
    message: string,
    options?: ErrorOptions & { retryable?: boolean },
  ) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }
}

export interface MllpClientOptions {
  readonly host: string;
  readonly port: number;
  /** 10 s by default. */
  readonly connectTimeoutMs?: number;
  /** How long to wait for the ACK of a message; 30 s by default. */
  readonly ackTimeoutMs?: number;
  /** Tries per send, the first included; 5 by default. 1 disables retries. */
  readonly maxAttempts?: number;
  /** Backoff before try n+1: min(maxBackoffMs, initialBackoffMs · 2^(n-1)), ±20 % jitter. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Largest ACK accepted; 1 MiB by default. */
  readonly maxAckBytes?: number;
  readonly onEvent?: (event: MllpClientEvent) => void;
}

export type MllpClientEvent =
  | { readonly type: 'connect'; readonly remote: string }
  | { readonly type: 'retry'; readonly attempt: number; readonly delayMs: number; readonly error: MllpError }
  | { readonly type: 'unexpected-frame'; readonly controlId: string };

export interface MllpSendResult {
  /** The acknowledgment, parsed. */
  readonly ack: Hl7Message;
  /** MSA-1: AA / AE / AR (or CA / CE / CR in enhanced mode). */
  readonly code: string;
  /** MSA-3 or ERR-8, when the receiver said something. */
  readonly text: string;
  readonly raw: string;
  readonly attempts: number;
}

interface Waiter {
  readonly controlId: string;
  readonly resolve: (ack: Hl7Message, raw: string) => void;
  readonly reject: (error: MllpError) => void;
}

interface Link {
  readonly socket: Socket;
  readonly reader: MllpFrameReader;
  waiter?: Waiter;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An HL7 v2 sender over MLLP. One message is in flight at a time (a send waits for the previous one);
 * the connection is opened on first use, kept open, and opened again when the receiver closed it
 * (some receivers close after every ACK). A send succeeds when an ACK whose MSA-2 echoes the message's
 * MSH-10 arrives — whatever its code: AE/AR are answers the caller (an outbox) decides about. It fails
 * with MllpError when no ACK came after maxAttempts tries: connection refused or dropped, ACK timeout.
 * A message whose ACK timed out may have been processed: receivers dedupe on MSH-10, and retries resend
 * the same MSH-10 so they can. ACKs with another MSA-2 (late answers to an earlier try) are skipped.
 */
export class MllpClient {
  private link: Link | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly o: Required<Omit<MllpClientOptions, 'onEvent'>> & Pick<MllpClientOptions, 'onEvent'>;

  constructor(options: MllpClientOptions) {
    this.o = {
      connectTimeoutMs: 10_000,
      ackTimeoutMs: 30_000,
      maxAttempts: 5,
      initialBackoffMs: 500,
      maxBackoffMs: 30_000,
      maxAckBytes: 1024 * 1024,
      ...options,
    };
  }

  /** Sends one message and resolves with its ACK. Rejects with Hl7ParseError, untried, for a message we cannot parse. */
  send(message: string | Hl7Message): Promise<MllpSendResult> {
    let parsed: Hl7Message;
    let bytes: Buffer;
    try {
      parsed = typeof message === 'string' ? parseHl7(message) : message;
      const text = typeof message === 'string' ? message : message.toString();
      bytes = encodeMllpFrame(encodeHl7Text(text, parsed.header.value(18, 1, 1)));
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.tail.then(() => this.sendWithRetry(bytes, parsed.controlId));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Closes the connection; sends in progress fail with ClientClosed. */
  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    link.waiter?.reject(new MllpError(MllpErrorCode.ClientClosed, 'the client was closed'));
    await new Promise<void>((resolve) => {
      if (link.socket.destroyed) return resolve();
      link.socket.once('close', () => resolve());
      link.socket.end();
      setTimeout(() => link.socket.destroy(), 1000).unref();
    });
  }

  private async sendWithRetry(frame: Buffer, controlId: string): Promise<MllpSendResult> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new MllpError(MllpErrorCode.ClientClosed, 'the client was closed');
      try {
        const { ack, raw } = await this.sendOnce(frame, controlId);
        const text = ack.get('MSA-3') || ack.get('ERR-8');
        return { ack, code: ack.get('MSA-1'), text, raw, attempts: attempt };
      } catch (error) {
        const e =
          error instanceof MllpError
            ? error
            : new MllpError(MllpErrorCode.ConnectionClosed, String(error), { cause: error, retryable: true });
        this.drop();
        if (!e.retryable || attempt >= this.o.maxAttempts || this.closed) throw e;
        const base = Math.min(this.o.maxBackoffMs, this.o.initialBackoffMs * 2 ** (attempt - 1));
        const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
        this.emit({ type: 'retry', attempt, delayMs, error: e });
        await sleep(delayMs);
      }
    }
  }

  private async sendOnce(frame: Buffer, controlId: string): Promise<{ ack: Hl7Message; raw: string }> {
    const link = this.link ?? (await this.open());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        link.waiter = undefined;
        reject(
          new MllpError(MllpErrorCode.AckTimeout, `no ACK for ${controlId} within ${this.o.ackTimeoutMs} ms`, {
            retryable: true,
          }),
        );
      }, this.o.ackTimeoutMs);
      link.waiter = {
        controlId,
        resolve: (ack, raw) => {
          clearTimeout(timer);
          link.waiter = undefined;
          resolve({ ack, raw });
        },
        reject: (error) => {
          clearTimeout(timer);
          link.waiter = undefined;
          reject(error);
        },
      };
      link.socket.write(frame);
    });
  }

  private open(): Promise<Link> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.o.host, port: this.o.port });
      const link: Link = { socket, reader: new MllpFrameReader({ maxFrameBytes: this.o.maxAckBytes }) };
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new MllpError(MllpErrorCode.ConnectTimeout, `no connection to ${this.o.host}:${this.o.port}`, {
            retryable: true,
          }),
        );
      }, this.o.connectTimeoutMs);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.link = link;
        this.emit({ type: 'connect', remote: `${this.o.host}:${this.o.port}` });
        resolve(link);
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        const e = new MllpError(MllpErrorCode.ConnectFailed, error.message, { cause: error, retryable: true });
        if (this.link !== link) reject(e);
        link.waiter?.reject(e);
      });
      socket.on('close', () => {
        if (this.link === link) this.link = undefined;
        link.waiter?.reject(
          new MllpError(MllpErrorCode.ConnectionClosed, 'the receiver closed the connection before the ACK', {
            retryable: true,
          }),
        );
      });
      socket.on('data', (chunk: Buffer) => this.onData(link, chunk));
    });
  }

  private onData(link: Link, chunk: Buffer): void {
    for (const event of link.reader.push(chunk)) {
      if (event.type === 'garbage') continue;
      const waiter = link.waiter;
      if (event.type === 'oversize') {
        waiter?.reject(new MllpError(MllpErrorCode.InvalidAck, `ACK of ${event.size} bytes exceeds the limit`));
        continue;
      }
      let ack: Hl7Message;
      let raw: string;
      try {
        raw = decodeHl7Bytes(event.payload).text;
        ack = parseHl7(raw);
      } catch (cause) {
        waiter?.reject(
          new MllpError(MllpErrorCode.InvalidAck, 'the receiver answered with an unreadable ACK', { cause }),
        );
        continue;
      }
      const echoed = ack.get('MSA-2');
      if (!waiter || echoed !== waiter.controlId) {
        this.emit({ type: 'unexpected-frame', controlId: echoed });
        continue;
      }
      waiter.resolve(ack, raw);
    }
  }

  // After a failure the connection's state is unknown (a late ACK may still come): start afresh.
  private drop(): void {
    const link = this.link;
    this.link = undefined;
    link?.socket.destroy();
  }

  private emit(event: MllpClientEvent): void {
    try {
      this.o.onEvent?.(event);
    } catch {
      // observers never break sending
    }
  }
}
