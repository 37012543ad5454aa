import { DicomwebError } from '@pacs/dicomweb';

/**
 * At most `concurrency` tasks run at once; the others wait in arrival order, at most `maxQueued` of them. Decoding
 * and encoding are CPU-bound and hold a frame or two in memory each: running more of them than there are cores
 * only adds memory and latency (sharp itself runs one thread per image here, `sharp.concurrency()` is 1).
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
  ) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError('concurrency must be ≥ 1');
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` when a slot is free.
   * @throws DicomwebError('Unavailable', retryable, Retry-After 1 s) when the queue is full: the server is
   *   saturated, and a client waiting in an unbounded queue would only time out later.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) {
        throw new DicomwebError('Unavailable', 'The renderer is busy; retry shortly', { retryAfterSeconds: 1 });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next task, so `running` stays as it is.
      if (next) next();
      else this.running--;
    }
  }
}
