import { describe, expect, it } from 'vitest';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import {
  type CorpusLanguage,
  REPLY_CORPUS,
  scoreCorpus,
} from '#tests/channels/fixtures/reply-corpus/index.ts';

const REQUIRED_LANGUAGES: readonly CorpusLanguage[] = [
  'lv',
  'pl',
  'hy',
  'el',
  'en',
  'de',
  'fr',
  'es',
  'it',
  'pt',
  'nl',
  'ru',
  'uk',
];

describe('reply text on the hand-written reply corpus', () => {
  it('covers every required language with unique case ids', () => {
    // Prepare
    const ids = REPLY_CORPUS.map((replyCase) => replyCase.id);
    // Act
    const languages = new Set(REPLY_CORPUS.map((replyCase) => replyCase.language));
    // Assess
    expect(REPLY_CORPUS.length).toBeGreaterThanOrEqual(120);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...languages].sort()).toEqual([...REQUIRED_LANGUAGES].sort());
  });

  it('keeps what a reader would keep in at least 90 % of the cases', () => {
    // Act
    const score = scoreCorpus(stripQuotedHistory);
    // Assess
    const report = score.failures
      .map(
        (failure) =>
          `${failure.id}\n  expected: ${JSON.stringify(failure.expected)}\n  actual:   ${JSON.stringify(failure.actual)}`,
      )
      .join('\n');
    expect(
      score.rate,
      `${score.matched}/${score.total} matched; failures:\n${report}`,
    ).toBeGreaterThanOrEqual(0.9);
  });
});
