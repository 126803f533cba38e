import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * Ctrl-C on `npm start` reaches the hub's SIGINT handler (the graceful stop: no new requests,
 * answers with `Connection: close`, the recorder drains) even while its event loop is busy. The tsx
 * command-line wrapper, which ran it until 2026-12-06, relays a terminal's signal to its child and
 * SIGKILLs it 60 ms later when the child has not acknowledged it: under any load the hub was killed
 * before its handler ran (found by a review). The script runs `node --import tsx` instead; this runs
 * the package.json script's own launcher on a busy stand-in for the hub.
 */

const ROOT = join(import.meta.dirname, '../..');
const FIXTURE = join(import.meta.dirname, 'fixtures/busy-sigint.ts');

/** The command and arguments an npm script runs, its script file replaced by `file`. */
const launcherOf = (script: string, file: string): [string, string[]] => {
  const [first, ...rest] = script.split(/\s+/);
  const args = rest.map((arg) => (arg.endsWith('.ts') ? file : arg));
  if (first === 'node') return [process.execPath, args];
  if (first === 'tsx') return [process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), ...args]];
  throw new Error(`unexpected launcher ${first}`);
};

describe('npm start: Ctrl-C on a busy hub', () => {
  it('runs its SIGINT handler', async () => {
    // Prepare: the start script's launcher on the busy stand-in, as the terminal's foreground group
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const [command, args] = launcherOf(scripts.start ?? '', FIXTURE);
    const dir = mkdtempSync(join(tmpdir(), 'start-signal-'));
    const marker = join(dir, 'handled');
    const child = spawn(command, [...args, marker], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => chunk.includes('ready') && resolve()),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // Act: Ctrl-C signals the whole foreground process group
      process.kill(-(child.pid ?? 0), 'SIGINT');
      await exited;
      // Assess
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
