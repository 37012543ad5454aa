import { Tag } from './dictionary';
import { stringValue } from './dicom-json';
import { InflatingFeeder } from './inflating-feeder';
import { Part10Error } from './part10-error';
import { type Part10Identity } from './part10-types';
import { Part10Walker } from './part10-walker';

const identityTags = [Tag.SOPClassUID, Tag.SOPInstanceUID, Tag.StudyInstanceUID, Tag.SeriesInstanceUID] as const;

function identityOf(walker: Part10Walker): Part10Identity | undefined {
  if (!walker.transferSyntaxUid) return undefined;
  const [sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid] = identityTags.map((t) =>
    stringValue(walker.root, t),
  );
  if (!sopClassUid || !sopInstanceUid || !studyInstanceUid || !seriesInstanceUid) return undefined;
  return {
    transferSyntaxUid: walker.transferSyntaxUid,
    sopClassUid,
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid,
  };
}

function missing(walker: Part10Walker): Part10Error {
  const absent = identityTags.filter((t) => !stringValue(walker.root, t));
  return new Part10Error(
    'MissingAttribute',
    `the data set has no ${absent.map((t) => `(${t.slice(0, 4)},${t.slice(4)})`).join(', ')}`,
  );
}

/**
 * Reads a Part 10 stream only until the instance's identity is known: the Transfer Syntax UID (0002,0010) and
 * the SOP Class (0008,0016), SOP Instance (0008,0018), Study (0020,000D) and Series (0020,000E) Instance UIDs
 * of the top-level data set. Reading stops at the first chunk that completes them, or with
 * Part10Error('MissingAttribute') at the first top-level tag past (0020,000E) or the end of the stream.
 * More than `maxBytes` read without the identity gives HeaderTooLarge. `prefix` is every chunk consumed, to be
 * written before the rest of the stream. Deflated data sets are inflated as they are read.
 */
export async function peekPart10Identity(
  source: AsyncIterator<Buffer>,
  options: { maxBytes: number },
): Promise<{ identity: Part10Identity; prefix: Buffer[] }> {
  const walker = new Part10Walker({
    maxHeaderBytes: options.maxBytes,
    bulkDataThreshold: 0,
    untilTag: Tag.SeriesInstanceUID,
  });
  const prefix: Buffer[] = [];
  let consumed = 0;
  let feeder: InflatingFeeder | undefined;
  try {
    for (;;) {
      const identity = identityOf(walker);
      if (identity) return { identity, prefix };
      if (walker.state === 'done') throw missing(walker);
      if (consumed > options.maxBytes) {
        throw new Part10Error('HeaderTooLarge', `no instance identity within the first ${options.maxBytes} bytes`);
      }
      const next = await source.next();
      if (next.done) {
        if (feeder) await feeder.end();
        walker.end();
        const found = identityOf(walker);
        if (found) return { identity: found, prefix };
        throw walker.transferSyntaxUid
          ? missing(walker)
          : new Part10Error('MissingAttribute', 'no Transfer Syntax UID');
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      prefix.push(chunk);
      consumed += chunk.length;
      if (feeder) {
        await feeder.write(chunk);
        continue;
      }
      walker.feed(chunk);
      if (walker.state === 'inflate') {
        feeder = new InflatingFeeder(walker);
        const rest = walker.drain();
        walker.startInflated();
        for (const c of rest) await feeder.write(c);
      }
    }
  } finally {
    feeder?.destroy();
  }
}
