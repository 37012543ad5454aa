/**
 * The bytes received and not yet consumed, as the chunks they came in (no copy until a read spans chunks).
 * `skip` drops whole chunks, so passing over pixel data costs one step per chunk, not per byte.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0; // index of the first chunk still holding unconsumed bytes
  private headOffset = 0; // bytes of chunks[head] already consumed
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The next `n` bytes without consuming them; the caller checks `length >= n` first. */
  peek(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[this.head]!;
    if (first.length - this.headOffset >= n) return first.subarray(this.headOffset, this.headOffset + n);
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    for (let i = this.head; copied < n; i++) {
      const c = this.chunks[i]!;
      const from = i === this.head ? this.headOffset : 0;
      copied += c.copy(out, copied, from, Math.min(c.length, from + n - copied));
    }
    return out;
  }

  /** Consumes and returns the next `n` bytes (caller checks `length >= n`); may be a view of a received chunk. */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /**
   * Consumes and returns up to `max` bytes from the first chunk (at least one byte when any is queued): a view
   * of a received chunk, never a copy, for passing bytes along as they came.
   */
  takeChunk(max: number): Buffer {
    if (this.size === 0 || max <= 0) return Buffer.alloc(0);
    const first = this.chunks[this.head]!;
    const n = Math.min(max, first.length - this.headOffset);
    const out = first.subarray(this.headOffset, this.headOffset + n);
    this.skip(n);
    return out;
  }

  /** Consumes up to `n` bytes; returns how many were consumed. */
  skip(n: number): number {
    let left = Math.min(n, this.size);
    const done = left;
    while (left > 0) {
      const c = this.chunks[this.head]!;
      const avail = c.length - this.headOffset;
      if (avail > left) {
        this.headOffset += left;
        left = 0;
      } else {
        left -= avail;
        this.head++;
        this.headOffset = 0;
      }
    }
    this.size -= done;
    if (this.head > 64 || this.size === 0) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return done;
  }

  /** Removes and returns every unconsumed byte, as chunks. */
  drain(): Buffer[] {
    const rest = this.chunks.slice(this.head);
    if (rest.length) rest[0] = rest[0]!.subarray(this.headOffset);
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.size = 0;
    return rest;
  }
}
