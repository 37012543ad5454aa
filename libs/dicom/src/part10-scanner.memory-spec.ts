// Memory: scanning a 2 GiB native multi-frame instance keeps the process's memory flat.
// Catches: the scanner (or the writer feeding it) holding pixel data — concatenating chunks, keeping views of
// them, queueing them while skipping — which would grow RSS by gigabytes.
// Does not catch: growth smaller than the bound below, leaks in other code on the STOW path, or memory held
// by a slow consumer downstream (the null sink here always keeps up).
// Run with: MEMORY_TESTS=1 npx jest -c jest.config.js --testMatch '**/part10-scanner.memory-spec.ts'
import { Tag } from './dictionary';
import { Part10Scanner } from './part10-scanner';
import { drainWithFlatMemory, twoGibMultiframe } from '../test/part10-fixtures';

const run = process.env.MEMORY_TESTS === '1' ? it : it.skip;

run(
  'scans a 2 GiB native multi-frame stream with flat memory',
  async () => {
    const { file, length, frames } = twoGibMultiframe({ [Tag.PatientID]: { vr: 'LO', Value: ['MEMORY'] } });
    const scanner = new Part10Scanner({ maxHeaderBytes: 1024 * 1024, bulkDataThreshold: 1024 });
    const { total, growthMiB } = await drainWithFlatMemory('scanned', [file, scanner]);
    const scan = scanner.result();
    expect(scan.size).toBe(total);
    expect(scan.pixelData?.length).toBe(length);
    expect(scan.pixelData?.frames).toHaveLength(frames);
    expect(growthMiB).toBeLessThan(64);
  },
  600_000,
);
