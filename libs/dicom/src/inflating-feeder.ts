import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { Part10Error } from './part10-error';
import { type Part10Walker } from './part10-walker';

/**
 * Feeds a walker the inflated form of a deflated data set (PS3.5 §A.5: RFC 1951 deflate, no zlib header).
 * `write` resolves once zlib has consumed the chunk and the walker has seen its output, so no more than one
 * chunk waits inside zlib.
 */
export class InflatingFeeder {
  private readonly inflater: InflateRaw = createInflateRaw();
  private failure?: Error;
  private ended = false;
  /** zlib ends its output by itself at the end of the deflate stream (RFC 1951 BFINAL), before end() is called. */
  private readonly done: Promise<void>;

  constructor(private readonly walker: Part10Walker) {
    this.inflater.on('data', (data: Buffer) => {
      if (this.failure) return;
      try {
        walker.feed(data);
      } catch (e) {
        this.failure = e instanceof Error ? e : new Error(String(e));
      }
    });
    this.done = new Promise((resolve) => {
      this.inflater.once('end', resolve);
      this.inflater.once('close', resolve);
    });
    this.inflater.on('error', (cause: Error & { code?: string }) => {
      // Z_BUF_ERROR at the end of input: the deflate stream stops before its last block.
      this.failure ??=
        cause.code === 'Z_BUF_ERROR'
          ? new Part10Error('Truncated', 'the deflated data set ends before the end of its deflate stream', { cause })
          : new Part10Error('Malformed', 'the deflated data set cannot be inflated', { cause });
    });
  }

  get error(): Error | undefined {
    return this.failure;
  }

  write(chunk: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      // zlib does not call the write callback of the chunk it fails on: its 'error' settles the write instead.
      const onError = (): void => reject(this.failure);
      this.inflater.once('error', onError);
      this.inflater.write(chunk, (err) => {
        this.inflater.off('error', onError);
        const failure =
          this.failure ??
          (err ? new Part10Error('Malformed', 'the deflated data set cannot be inflated', { cause: err }) : undefined);
        if (failure) reject(failure);
        else resolve();
      });
    });
  }

  /** Ends the deflated input; resolves when every inflated byte has been walked. */
  end(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.ended = true;
    if (!this.inflater.writableEnded) this.inflater.end();
    return this.done.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  destroy(): void {
    if (!this.ended) this.inflater.destroy();
  }
}
