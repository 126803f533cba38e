import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LOCAL_DEV_SECRETS, localSecretsFromEnv } from '#shared/config/secrets.ts';
import { DEFAULT_EVENTS_DIR } from '#shared/local/samples.ts';

/*
 * An Instagram account's replies go to `/me/messages`, which Meta (and the local simulator) resolve
 * from the token: the local hub needs a token of its own for each Instagram account it answers, not
 * the system user's `accessToken`. The development defaults hold one for the samples' account, and
 * SWITCHBOARD_META_ACCESS_TOKENS (JSON, as the deployed secret's `accessTokens`) replaces them.
 */

const InstagramSampleSchema = z.object({
  object: z.literal('instagram'),
  entry: z.array(z.object({ id: z.string() })).min(1),
});

const instagramSampleAccount = (): string => {
  const path = join(DEFAULT_EVENTS_DIR, 'messenger/instagram-message.json');
  const sample = InstagramSampleSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  return sample.entry[0]?.id ?? '';
};

describe('local Meta access tokens', () => {
  it("hold a token of its own for the samples' Instagram account, not the system user's", () => {
    // Prepare
    const account = instagramSampleAccount();
    // Act
    const tokens = localSecretsFromEnv({}).meta.accessTokens ?? {};
    // Assess
    expect(tokens[account]).toBeDefined();
    expect(tokens[account]).not.toBe(LOCAL_DEV_SECRETS.meta.accessToken);
  });

  it('take SWITCHBOARD_META_ACCESS_TOKENS as a JSON object of tokens by id', () => {
    // Act
    const secrets = localSecretsFromEnv({
      SWITCHBOARD_META_ACCESS_TOKENS: '{"17841400000000777":"my-linked-page-token"}',
    });
    // Assess
    expect(secrets.meta.accessTokens).toEqual({ '17841400000000777': 'my-linked-page-token' });
    expect(secrets.meta.accessToken).toBe(LOCAL_DEV_SECRETS.meta.accessToken);
  });

  it('refuse SWITCHBOARD_META_ACCESS_TOKENS that is not JSON, without quoting it', () => {
    // Act
    const read = () => localSecretsFromEnv({ SWITCHBOARD_META_ACCESS_TOKENS: '1784=secret-token' });
    // Assess
    expect(read).toThrow(/SWITCHBOARD_META_ACCESS_TOKENS is not JSON/);
    expect(read).not.toThrow(/secret-token/);
  });
});
