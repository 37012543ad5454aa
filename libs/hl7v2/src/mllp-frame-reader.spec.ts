import { encodeMllpFrame, MllpFrameReader, type MllpReadEvent } from './mllp-frame-reader';

const frames = (events: MllpReadEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'frame' ? [e.payload.toString('latin1')] : []));

describe('MllpFrameReader', () => {
  const messages = ['MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|||1', 'MSH|^~\\&|x|y\rOBX|1', 'M'];
  const stream = Buffer.concat(messages.map((m) => encodeMllpFrame(Buffer.from(m, 'latin1'))));

  it('reads several frames from one chunk', () => {
    expect(frames(new MllpFrameReader({ maxFrameBytes: 1000 }).push(stream))).toEqual(messages);
  });

  it('reads the same frames whatever byte the stream is split at', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new MllpFrameReader({ maxFrameBytes: 1000 });
      const events = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(frames(events)).toEqual(messages);
      expect(events.some((e) => e.type !== 'frame')).toBe(false);
    }
  });

  it('reads the same frames one byte at a time', () => {
    const reader = new MllpFrameReader({ maxFrameBytes: 1000 });
    const events: MllpReadEvent[] = [];
    for (let i = 0; i < stream.length; i++) events.push(...reader.push(stream.subarray(i, i + 1)));
    expect(frames(events)).toEqual(messages);
  });

  it('skips and counts garbage before a frame, but not CR/LF between frames', () => {
    const reader = new MllpFrameReader({ maxFrameBytes: 1000 });
    const events = reader.push(Buffer.concat([Buffer.from('junk\r\n'), stream, Buffer.from('\r\n')]));
    expect(frames(events)).toEqual(messages);
    expect(events.filter((e) => e.type === 'garbage')).toEqual([{ type: 'garbage', bytes: 4 }]);
  });

  it('restarts a frame at a new start block and reports the abandoned bytes', () => {
    const reader = new MllpFrameReader({ maxFrameBytes: 1000 });
    const events = reader.push(Buffer.concat([Buffer.from('\x0bpartial'), encodeMllpFrame(Buffer.from('whole'))]));
    expect(frames(events)).toEqual(['whole']);
    expect(events[0]).toEqual({ type: 'garbage', bytes: 7 });
  });

  it('tolerates a missing CR after the end block', () => {
    const reader = new MllpFrameReader({ maxFrameBytes: 1000 });
    expect(frames(reader.push(Buffer.from('\x0bone\x1c\x0btwo\x1c')))).toEqual(['one', 'two']);
  });

  it('drops an oversized frame as it arrives, keeps its prefix and reads the next frame', () => {
    const reader = new MllpFrameReader({ maxFrameBytes: 100, keepPrefixBytes: 10 });
    const big = Buffer.alloc(1000, 'x');
    const events: MllpReadEvent[] = [];
    events.push(...reader.push(Buffer.from([0x0b])));
    for (let i = 0; i < big.length; i += 64) {
      events.push(...reader.push(big.subarray(i, i + 64)));
      expect(reader.bufferedBytes).toBeLessThanOrEqual(100);
    }
    events.push(...reader.push(Buffer.concat([Buffer.from([0x1c, 0x0d]), encodeMllpFrame(Buffer.from('next'))])));
    expect(events[0]).toEqual({ type: 'oversize', size: 1000, prefix: Buffer.alloc(10, 'x') });
    expect(frames(events)).toEqual(['next']);
  });

  it('accepts a frame of exactly the limit', () => {
    const reader = new MllpFrameReader({ maxFrameBytes: 5 });
    expect(frames(reader.push(encodeMllpFrame(Buffer.from('12345'))))).toEqual(['12345']);
    expect(reader.push(encodeMllpFrame(Buffer.from('123456')))[0]?.type).toBe('oversize');
  });
});
