// Memory: replacing the Patient module of a 2 GiB native multi-frame instance as it streams keeps the
// process's memory flat.
// Catches: the splice holding the pixel data (or the rest of the file) — buffering chunks, concatenating the
// tail, queueing views — which would grow RSS by gigabytes.
// Does not catch: growth smaller than the bound below, or memory held by a slow consumer downstream (the null
// sink here always keeps up).
// Run with: MEMORY_TESTS=1 npx jest -c jest.config.js --testMatch '**/replace-top-level-elements.memory-spec.ts'
import { Tag } from './dictionary';
import { replaceTopLevelElements } from './replace-top-level-elements';
import { drainWithFlatMemory, twoGibMultiframe } from '../test/part10-fixtures';

const run = process.env.MEMORY_TESTS === '1' ? it : it.skip;

run(
  'replaces the patient name of a 2 GiB native multi-frame stream with flat memory',
  async () => {
    const { file, length } = twoGibMultiframe({
      [Tag.PatientID]: { vr: 'LO', Value: ['MEMORY'] },
      [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Old^Name' }] },
    });
    const spliced = replaceTopLevelElements(file, {
      [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'A^Longer^New^Name' }] },
    });
    let head: Buffer | undefined;
    const { total, growthMiB } = await drainWithFlatMemory('spliced', [spliced], (c) => {
      head ??= Buffer.from(c.subarray(0, 4096));
    });
    expect(head!.includes(Buffer.from('A^Longer^New^Name'))).toBe(true);
    expect(total).toBeGreaterThan(length);
    expect(growthMiB).toBeLessThan(64);
  },
  600_000,
);
