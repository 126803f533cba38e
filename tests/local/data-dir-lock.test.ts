import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '#shared/local/data-dir-lock.ts';
import { startLocalHub } from '#shared/local/hub.ts';

/*
 * One hub per data directory: a second `npm start` on a running hub's directory is refused before
 * it opens anything there (before 2026-12-06 it failed on a bare ECONNREFUSED, after rewriting the
 * running hub's queue URLs to its own port: found by a review); a lock a killed hub left is taken over.
 */

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
  dirs.push(dir);
  return dir;
};

/** Another process that runs until killed: a hub holding a directory, as far as the lock can tell. */
const runningProcess = () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid ?? 0;
};

/** The id of a process that has ended. */
const endedProcess = async () => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((done) => child.once('exit', done));
  return child.pid ?? 0;
};

describe('the local hub’s data directory lock', () => {
  it('refuses a directory a running process holds, naming it, and leaves its lock as it was', () => {
    // Prepare
    const dir = tempDir();
    const holder = runningProcess();
    writeFileSync(join(dir, 'hub.lock'), String(holder));
    // Act
    const taking = () => lockDataDir(dir);
    // Assess
    expect(taking).toThrow(DataDirInUseError);
    expect(taking).toThrow(`in use by process ${holder}`);
    // A process id reused by another program after a hub was killed: the way out is named
    expect(taking).toThrow(`delete ${join(dir, 'hub.lock')}`);
    expect(readFileSync(join(dir, 'hub.lock'), 'utf8')).toBe(String(holder));
  });

  it('takes over a lock a hub that no longer runs left, and releases it', async () => {
    // Prepare
    const dir = tempDir();
    writeFileSync(join(dir, 'hub.lock'), String(await endedProcess()));
    // Act
    const release = lockDataDir(dir);
    const held = readFileSync(join(dir, 'hub.lock'), 'utf8');
    release();
    // Assess
    expect(held).toBe(String(process.pid));
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false);
  });

  it('keeps a second hub off a running hub’s directory before it opens anything there', async () => {
    // Prepare: a directory a running hub holds (its lock), nothing else in it yet
    const dir = tempDir();
    writeFileSync(join(dir, 'hub.lock'), String(runningProcess()));
    // Act
    const starting = startLocalHub({ dataDir: dir, port: 0 });
    // Assess
    await expect(starting).rejects.toBeInstanceOf(DataDirInUseError);
    expect(readdirSync(dir)).toEqual(['hub.lock']);
  });
});
