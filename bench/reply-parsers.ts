/**
 * Compares reply extractors on the hand-written reply corpus (tests/channels/fixtures/reply-corpus)
 * and on hostile inputs: the hub's own `stripQuotedHistory` and the npm reply parsers, when they
 * are installed. The libraries are not dependencies of the project; install them somewhere and
 * point at that folder:
 *
 *   npm install --prefix /tmp/reply-parsers email-reply-parser planer node-email-reply-parser
 *   npx tsx bench/reply-parsers.ts --from /tmp/reply-parsers
 *
 * Prints one line per candidate: its match rate on the corpus, then for each hostile text the time
 * of the larger input over the time of the smaller one (4× is linear, 16× quadratic); a ratio
 * above 8× on a run longer than 50 ms is flagged. `--small` sets the smaller size (default 10,000
 * characters: some parsers take minutes on 100 KB); `--corpus-only` skips the hostile texts.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import { scoreCorpus } from '#tests/channels/fixtures/reply-corpus/index.ts';
import { HOSTILE_TEXTS } from '#tests/support/hostile-text.ts';
import { median, round } from './stats.ts';

type Extract = (text: string) => string | undefined;

interface Candidate {
  readonly name: string;
  readonly load: (require: NodeJS.Require) => Promise<Extract>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** A function `key` of a loaded module (or of its default export). */
const functionOf = (module: unknown, ...path: string[]): ((...args: unknown[]) => unknown) => {
  let current: unknown = module;
  for (const key of path) {
    if (!isRecord(current) && typeof current !== 'function') throw new Error(`no ${path.join('.')}`);
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current !== 'function') throw new Error(`no function ${path.join('.')}`);
  return current as (...args: unknown[]) => unknown;
};

const asText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const importFrom = async (require: NodeJS.Require, name: string): Promise<unknown> =>
  import(pathToFileURL(require.resolve(name)).href);

const CANDIDATES: readonly Candidate[] = [
  { name: 'switchboard stripQuotedHistory', load: async () => stripQuotedHistory },
  {
    name: 'email-reply-parser',
    load: async (require) => {
      const module = await importFrom(require, 'email-reply-parser');
      const Parser = functionOf(module, 'default') as unknown as new () => {
        parseReply(text: string): string;
      };
      const parser = new Parser();
      return (text) => parser.parseReply(text);
    },
  },
  {
    name: 'planer',
    load: async (require) => {
      const extractFrom = functionOf(require('planer'), 'extractFrom');
      return (text) => asText(extractFrom(text, 'text/plain'));
    },
  },
  {
    name: 'node-email-reply-parser',
    load: async (require) => {
      const parse = require('node-email-reply-parser') as (text: string) => { getVisibleText(): string };
      return (text) => parse(text).getVisibleText();
    },
  },
  {
    name: 'node-email-reply-parser (aggressive)',
    load: async (require) => {
      const parse = require('node-email-reply-parser') as (text: string) => {
        getVisibleText(options: { aggressive: boolean }): string;
      };
      return (text) => parse(text).getVisibleText({ aggressive: true });
    },
  },
  {
    name: 'emailreplyparser',
    load: async (require) => {
      const { EmailReplyParser } = require('emailreplyparser') as {
        EmailReplyParser: { parse_reply(text: string): unknown };
      };
      return (text) => asText(EmailReplyParser.parse_reply(text));
    },
  },
];

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Median wall time of `runs` calls after a warm-up call and a full GC, in milliseconds. */
const timeOf = (extract: Extract, text: string, runs: number): number => {
  extract(text);
  collectGarbage();
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = performance.now();
    extract(text);
    times.push(performance.now() - start);
  }
  return median(times);
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      small: { type: 'string', default: '10000' },
      'corpus-only': { type: 'boolean', default: false },
    },
  });
  const require = createRequire(join(resolve(values.from ?? '.'), 'package.json'));
  const small = Number(values.small);
  for (const candidate of CANDIDATES) {
    let extract: Extract;
    try {
      extract = await candidate.load(require);
    } catch {
      console.log(`${candidate.name}: not installed`);
      continue;
    }
    const score = scoreCorpus(extract);
    console.log(`${candidate.name}: ${score.matched}/${score.total} = ${round(score.rate * 100, 1)} %`);
    if (values['corpus-only']) continue;
    for (const [label, build] of Object.entries(HOSTILE_TEXTS)) {
      const smallText = build(small);
      const largeText = build(small * 4);
      const smallMs = timeOf(extract, smallText, 3);
      const largeMs = timeOf(extract, largeText, 3);
      const ratio = largeMs / Math.max(smallMs, 0.05);
      const flag = ratio > 8 && largeMs > 50 ? '  <-- super-linear' : '';
      console.log(`  ${label}: ${round(smallMs)} ms → ${round(largeMs)} ms (×${round(ratio, 1)})${flag}`);
    }
  }
};

await main();
