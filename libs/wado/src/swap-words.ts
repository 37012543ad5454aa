import { Transform, type TransformCallback } from 'node:stream';

/** Bytes per word of the VRs whose byte order follows the transfer syntax (PS3.5 §7.3). */
export const wordSizeOf: Partial<Record<string, number>> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

/**
 * Swaps the bytes of each word of `size` bytes (2, 4 or 8), between Big and Little Endian (PS3.5 §7.3).
 * Chunks need not be word-aligned: a partial word waits for the next chunk.
 */
export class SwapWords extends Transform {
  private carry = Buffer.alloc(0);

  constructor(private readonly size: 2 | 4 | 8) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : Buffer.from(chunk);
    const whole = bytes.length - (bytes.length % this.size);
    const out = bytes.subarray(0, whole);
    if (this.size === 2) out.swap16();
    else if (this.size === 4) out.swap32();
    else out.swap64();
    this.carry = Buffer.from(bytes.subarray(whole));
    callback(null, out);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.carry.length ? this.carry : undefined);
  }
}
