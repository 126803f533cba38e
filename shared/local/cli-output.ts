import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where a command-line tool writes; tests pass their own to capture the output. */
export interface CliOutput {
  line(text: string): void;
  /** Rewrites the current line in place (a TTY's progress line); no-op when not a terminal. */
  status(text: string): void;
  readonly isTTY: boolean;
}

export const terminalOutput = (stream: NodeJS.WriteStream = process.stdout): CliOutput => {
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) {
      stream.write('\r\u001b[2K');
      statusShown = false;
    }
  };
  return {
    isTTY: Boolean(stream.isTTY),
    line(text) {
      clearStatus();
      stream.write(`${text}\n`);
    },
    status(text) {
      if (!stream.isTTY) return;
      stream.write(`\r\u001b[2K${text}`);
      statusShown = true;
    },
  };
};

/** Collects lines in memory. */
export const memoryOutput = (): CliOutput & { readonly lines: string[] } => {
  const lines: string[] = [];
  return { isTTY: false, lines, line: (text) => lines.push(text), status: () => undefined };
};

/** True when the module is the script node was started with (not imported by a test). */
export const isEntryPoint = (importMetaUrl: string): boolean =>
  process.argv[1] !== undefined && importMetaUrl === pathToFileURL(resolve(process.argv[1])).href;
