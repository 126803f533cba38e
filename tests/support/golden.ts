import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  companionOf,
  DEFAULT_EVENTS_DIR,
  EXPECTED_SUFFIX,
  listSampleFiles,
  variantOf,
} from '#shared/local/samples.ts';

export const EVENTS_DIR = DEFAULT_EVENTS_DIR;

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
 * Lists the provider payloads of a channel folder, by the sample rules of shared/local/samples.ts:
 * every payload file that is not itself an expectation or an envelope.
 */
export const listFixtures = (channel: string, extensions: readonly string[] = ['.json']): Fixture[] =>
  extensions
    .flatMap((extension) => listSampleFiles(join(EVENTS_DIR, channel), extension))
    .sort()
    .map((payloadPath) => {
      const variant = variantOf(payloadPath);
      return {
        name: `${channel}/${variant}`,
        variant,
        payloadPath,
        payload: readFileSync(payloadPath),
        expectedPath: companionOf(payloadPath, EXPECTED_SUFFIX),
      };
    });

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
