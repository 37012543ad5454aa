// One process per embedded index folder. PGlite is PostgreSQL in single-user mode: there is no postmaster
// to keep a second process out of its folder, and two processes writing one data directory corrupt it for
// good (one's WAL beside the other's control file: "could not locate a valid checkpoint record" at every
// start after). The lock is a file beside the folder (`<folder>.lock`) naming its holder; it is created
// exclusively, and one whose process is gone (kill -9, a crash, a reboot) is taken over.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** Another live process holds the folder. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

interface Holder {
  pid: number;
  host: string;
  since: string;
  /** Tells two locks apart that a process took in the same millisecond. */
  token?: string;
}

export interface DataDirLock {
  readonly path: string;
  /** The previous holder's process was gone: its lock was taken over. */
  readonly tookOver?: Holder;
  /** Removes the lock file if it is still this process's. */
  release(): void;
}

function readHolder(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string'
      ? {
          pid: holder.pid,
          host: holder.host,
          since: String(holder.since ?? ''),
          ...(typeof holder.token === 'string' ? { token: holder.token } : {}),
        }
      : undefined;
  } catch {
    return undefined; // gone, or cut short by a crash while it was written: nobody holds it
  }
}

const sameHolder = (a: Holder | undefined, b: Holder | undefined): boolean =>
  a === undefined || b === undefined
    ? a === b
    : a.pid === b.pid && a.host === b.host && a.since === b.since && a.token === b.token;

/**
 * Whether `holder` is another process that is running now. A lock written on another host (a container
 * restarted under a new hostname, with the same volume) or by this very pid (pid 1 of a restarted container)
 * is stale: no process of this host can be holding it.
 */
function isLive(holder: Holder): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** Takes the lock of the folder `dir`, or throws DataDirInUseError naming the live process that holds it. */
export function lockDataDir(dir: string): DataDirLock {
  const path = `${dir.replace(/[/\\]+$/, '')}.lock`;
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
  let tookOver: Holder | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(me));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
    }
    const holder = readHolder(path);
    if (holder && isLive(holder)) {
      throw new DataDirInUseError(
        `${dir} is in use by process ${holder.pid} (since ${holder.since}): one process per data folder. ` +
          `Stop that process, or give this one another PACS_DATA_DIR; if no such process runs, delete ${path}.`,
      );
    }
    tookOver = holder;
    // Removed only while it still names the stale holder: a process that took it over meanwhile keeps it
    // (two processes starting at the same instant after a crash is the one case left to chance).
    if (!sameHolder(readHolder(path), holder)) continue;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return {
    path,
    ...(tookOver ? { tookOver } : {}),
    release: () => {
      if (!sameHolder(readHolder(path), me)) return;
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}
