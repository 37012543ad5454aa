/**
 * MLLP framing (HL7 v2.5 Appendix C.4.3 "Minimal Lower Layer Protocol", Release 1):
 *   <SB> message <EB><CR>   with SB = 0x0B (VT), EB = 0x1C (FS), CR = 0x0D.
 */
export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Wraps message bytes in an MLLP frame. */
export function encodeMllpFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.byteLength + 3);
  out[0] = MLLP_START;
  out.set(payload, 1);
  out[payload.byteLength + 1] = MLLP_END;
  out[payload.byteLength + 2] = MLLP_CR;
  return out;
}

export type MllpReadEvent =
  /** A whole message (the bytes between <SB> and <EB>). */
  | { readonly type: 'frame'; readonly payload: Buffer }
  /** Bytes outside a frame that were skipped (CR/LF between frames are not counted). */
  | { readonly type: 'garbage'; readonly bytes: number }
  /** A frame longer than the limit: its bytes were dropped except the first `prefix` (enough for the MSH). */
  | { readonly type: 'oversize'; readonly size: number; readonly prefix: Buffer };

export interface MllpFrameReaderOptions {
  /** Largest payload accepted; longer frames are dropped and reported as 'oversize'. */
  readonly maxFrameBytes: number;
  /** How much of an oversized frame is kept to answer it (its MSH). 64 KiB by default. */
  readonly keepPrefixBytes?: number;
}

type State = 'outside' | 'inside' | 'discarding' | 'afterEnd';

/**
 * Splits a byte stream into MLLP frames, across any chunking. Decisions, where MLLP leaves room:
 * - bytes before <SB> are skipped and reported as garbage (no NAK: without a frame there is no message
 *   to acknowledge, and an unsolicited answer would desynchronise a sender waiting for its ACK);
 * - <SB> inside a frame restarts the frame (the sender gave up on the previous one); the partial bytes
 *   are reported as garbage;
 * - the frame ends at <EB>; the <CR> after it is expected and consumed, but a missing <CR> is tolerated;
 * - a frame over `maxFrameBytes` is not buffered: its bytes are dropped as they come, up to its <EB>,
 *   so memory stays bounded by the limit whatever the sender does.
 */
export class MllpFrameReader {
  private state: State = 'outside';
  private parts: Buffer[] = [];
  private size = 0;
  private readonly keep: number;

  constructor(private readonly options: MllpFrameReaderOptions) {
    this.keep = options.keepPrefixBytes ?? 65536;
  }

  /** Bytes buffered for the frame being read. */
  get bufferedBytes(): number {
    return this.state === 'inside' ? this.size : 0;
  }

  /** True between <SB> and <EB>. */
  get inFrame(): boolean {
    return this.state === 'inside' || this.state === 'discarding';
  }

  push(chunk: Buffer): MllpReadEvent[] {
    const events: MllpReadEvent[] = [];
    let garbage = 0;
    let i = 0;
    const flushGarbage = (): void => {
      if (garbage > 0) events.push({ type: 'garbage', bytes: garbage });
      garbage = 0;
    };
    while (i < chunk.length) {
      if (this.state === 'afterEnd') {
        if (chunk[i] === MLLP_CR) i++;
        this.state = 'outside';
        continue;
      }
      if (this.state === 'outside') {
        const start = chunk.indexOf(MLLP_START, i);
        const end = start < 0 ? chunk.length : start;
        for (let k = i; k < end; k++) if (chunk[k] !== MLLP_CR && chunk[k] !== 0x0a) garbage++;
        if (start < 0) break;
        flushGarbage();
        this.state = 'inside';
        this.parts = [];
        this.size = 0;
        i = start + 1;
        continue;
      }
      // inside or discarding: look for the end, or a restart.
      const endAt = chunk.indexOf(MLLP_END, i);
      const restartAt = chunk.indexOf(MLLP_START, i);
      const stop = endAt < 0 ? chunk.length : endAt;
      if (restartAt >= 0 && restartAt < stop) {
        this.take(chunk.subarray(i, restartAt));
        events.push({ type: 'garbage', bytes: this.size });
        this.parts = [];
        this.size = 0;
        this.state = 'inside';
        i = restartAt + 1;
        continue;
      }
      this.take(chunk.subarray(i, stop));
      if (endAt < 0) break;
      events.push(this.finish());
      this.state = 'afterEnd';
      i = endAt + 1;
    }
    flushGarbage();
    return events;
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.state === 'inside' && this.size + bytes.length > this.options.maxFrameBytes) {
      // Keep only a prefix from now on.
      this.state = 'discarding';
      const prefix = Buffer.concat(this.parts, this.size).subarray(0, this.keep);
      this.parts = [Buffer.from(prefix)];
    }
    if (this.state === 'discarding') {
      const kept = this.parts[0]?.length ?? 0;
      if (kept < this.keep)
        this.parts = [Buffer.concat([this.parts[0] ?? Buffer.alloc(0), bytes.subarray(0, this.keep - kept)])];
      this.size += bytes.length;
      return;
    }
    // Copy: the caller may reuse its chunk buffer.
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
  }

  private finish(): MllpReadEvent {
    const event: MllpReadEvent =
      this.state === 'discarding'
        ? { type: 'oversize', size: this.size, prefix: this.parts[0] ?? Buffer.alloc(0) }
        : { type: 'frame', payload: Buffer.concat(this.parts, this.size) };
    this.parts = [];
    this.size = 0;
    return event;
  }
}
