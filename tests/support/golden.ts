import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const EVENTS_DIR = resolve(import.meta.dirname, '../../events');

export interface Fixture {
  /** `<channel>/<variant>` */
  readonly name: string;
  readonly variant: string;
  /** The file holding the provider's payload (`.json`, or `.eml` for e-mail). */
  readonly payloadPath: string;
  readonly payload: Buffer;
  readonly expectedPath: string;
}

/**
 * Lists the provider payloads of a channel folder: every `<variant>.json` or `<variant>.eml`
 * that is not itself an expectation (`.expected.json`) or an envelope (`.envelope.json`).
 */
export const listFixtures = (channel: string, extensions: readonly string[] = ['.json']): Fixture[] => {
  const dir = join(EVENTS_DIR, channel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => extensions.some((ext) => file.endsWith(ext)))
    .filter((file) => !file.endsWith('.expected.json') && !file.endsWith('.envelope.json'))
    .sort()
    .map((file) => {
      const variant = file.replace(/\.(json|eml)$/, '');
      return {
        name: `${channel}/${variant}`,
        variant,
        payloadPath: join(dir, file),
        payload: readFileSync(join(dir, file)),
        expectedPath: join(dir, `${variant}.expected.json`),
      };
    });
};

/**
 * Reads a fixture's expected events. With UPDATE_GOLDEN=1 it first writes what the adapter
 * produced, for a human to review in the diff: a golden file is only as good as that review.
 */
export const expectedFor = (fixture: Fixture, actual: unknown): unknown => {
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(fixture.expectedPath, `${JSON.stringify(actual, null, 2)}\n`);
  }
  if (!existsSync(fixture.expectedPath)) {
    throw new Error(`no expectation for ${fixture.name}: run with UPDATE_GOLDEN=1 and review the file`);
  }
  return JSON.parse(readFileSync(fixture.expectedPath, 'utf8'));
};
