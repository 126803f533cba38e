import { describe, expect, it } from 'vitest';
import { readConfig } from '#infra/config.ts';
import { ATTENTION_SWEEPER } from '#shared/resources/definitions.ts';

/*
 * zod's default was a shallow copy of the default value on every parse: a config read without
 * response targets never hands out the shared constant, which a caller could then change for
 * every later read (and for the functions' own default).
 */

describe('response targets left out of the CDK context', () => {
  it('are a copy of the defaults, never the shared constant itself', () => {
    // Act
    const first = readConfig(() => undefined);
    const second = readConfig(() => undefined);
    // Assess
    expect(first.responseTargetSeconds).toEqual(ATTENTION_SWEEPER.responseTargetSeconds);
    expect(first.responseTargetSeconds).not.toBe(ATTENTION_SWEEPER.responseTargetSeconds);
    expect(first.responseTargetSeconds).not.toBe(second.responseTargetSeconds);
  });
});
