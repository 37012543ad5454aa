import type { Readable } from 'node:stream';

/**
 * Pulls the chunks of a Readable one by one, exactly as they were pushed. A stream's own async iterator
 * calls `read()`, which concatenates (copies) whatever is buffered; here the stream flows one 'data' event
 * at a time and is paused in between, so chunks pass through without a copy and nothing is read ahead.
 */
export class ChunkReader {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private released = false;

  private readonly onData = (chunk: unknown): void => {
    this.queue.push(toBuffer(chunk));
    this.stream.pause();
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (error: unknown): void => {
    this.failure ??= error;
    this.notify();
  };
  private readonly onClose = (): void => {
    if (!this.stream.readableEnded) this.failure ??= new Error('The stream closed before its end');
    this.notify();
  };

  constructor(private readonly stream: Readable) {
    stream.pause();
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    if (stream.readableEnded) this.ended = true;
    else if (stream.destroyed) this.failure = stream.errored ?? new Error('The stream was destroyed before its end');
  }

  /** The next chunk; null at the end of the stream. Rejects with the stream's error. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) return chunk;
      if (this.failure !== undefined) throw this.failure;
      if (this.ended || this.released) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.stream.resume();
      });
    }
  }

  /**
   * Stops reading and detaches from the stream, leaving it paused for its owner (an HTTP server drains or
   * closes an unread request itself). An error the stream emits later is ignored here: it no longer
   * concerns this reader, and it must not become an uncaught exception.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onClose);
    this.stream.off('error', this.onError);
    this.stream.on('error', ignore);
    this.stream.pause();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

const ignore = (): void => undefined;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('The stream does not carry bytes');
}
