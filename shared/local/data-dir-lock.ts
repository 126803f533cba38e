import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A data directory another running hub holds: its DynamoDB files and queue store are that hub's. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

const LOCK_FILE = 'hub.lock';

/** Whether a process of this id runs (one of another user's answers EPERM: it runs). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes a data directory for this process: a `hub.lock` file holding its process id, created only
 * if absent. One left by a process that no longer runs (a hub killed) is taken over; one of a
 * running process refuses the start before anything of the directory is opened. Before
 * 2026-12-06 a second `npm start` on a running hub's directory failed on a bare ECONNREFUSED, and
 * first rewrote the queue URLs in the running hub's store to its own port (found by a review).
 * Returns the release, which removes the file while it is still this process's.
 */
export const lockDataDir = (dir: string): (() => void) => {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const release = () => {
    try {
      if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
    } catch {
      // Gone already: nothing to release.
    }
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new DataDirInUseError(
        `${dir} is in use by process ${holder} (another npm start?): stop it, or start with --data-dir <another> or --in-memory; if process ${holder} is no hub (its id reused after a hub was killed), delete ${file}`,
      );
    }
    // Left by a hub that no longer runs (or by this process): taken over.
    unlinkSync(file);
  }
  throw new DataDirInUseError(`${dir}: its lock file could not be taken`);
};
