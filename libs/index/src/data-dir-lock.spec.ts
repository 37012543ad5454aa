import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, lockDataDir } from './data-dir-lock';
import { openIndexDatabase } from './index-database';

describe('lockDataDir', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
    dir = join(root, 'index');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A pid no process has now: a child that has exited. */
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;
  const writeLock = (holder: object) => writeFileSync(`${dir}.lock`, JSON.stringify(holder));

  it('writes a lock file beside the folder naming this process, and removes it on release', () => {
    const lock = lockDataDir(dir);
    expect(lock.path).toBe(`${dir}.lock`);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(lock.tookOver).toBeUndefined();
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('refuses a folder another live process holds, naming the process', () => {
    const parent = process.ppid; // alive for as long as this test runs
    writeLock({ pid: parent, host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${parent}`));
    expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8')).pid).toBe(parent); // left as it was
  });

  it('takes over the lock of a process that is gone (kill -9), of this very pid, or from another host', () => {
    for (const stale of [
      { pid: deadPid(), host: hostname(), since: 'a' },
      { pid: process.pid, host: hostname(), since: 'b' },
      { pid: process.ppid, host: `not-${hostname()}`, since: 'c' },
    ]) {
      writeLock(stale);
      const lock = lockDataDir(dir);
      expect(lock.tookOver).toEqual(stale);
      expect(JSON.parse(readFileSync(lock.path, 'utf8')).since).not.toBe(stale.since);
      lock.release();
    }
  });

  it('takes over a lock file cut short by a crash', () => {
    writeFileSync(`${dir}.lock`, '{"pid":12');
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('release leaves a lock that another holder took over in place', () => {
    const first = lockDataDir(dir);
    // The same pid counts as stale (a restarted container), so the second takes it over: release of the
    // first must then leave the second's lock in place.
    const second = lockDataDir(dir);
    first.release();
    expect(existsSync(second.path)).toBe(true);
    second.release();
    expect(existsSync(second.path)).toBe(false);
  });

  it('openIndexDatabase holds the lock while open and frees it on close; a live holder keeps it from opening', async () => {
    writeLock({ pid: process.ppid, host: hostname(), since: 'x' });
    await expect(openIndexDatabase({ kind: 'pglite', dataDir: dir })).rejects.toThrow(DataDirInUseError);
    rmSync(`${dir}.lock`);
    const db = await openIndexDatabase({ kind: 'pglite', dataDir: dir });
    try {
      expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8')).pid).toBe(process.pid);
    } finally {
      await db.close();
    }
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 60_000);
});
