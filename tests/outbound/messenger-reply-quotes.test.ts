import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetRuntimeConfig, runtimeConfig } from '#shared/config/runtime.ts';
import { correlationIdFor, type MessageContext } from '#shared/outbound/channel-sender.ts';
import { createSenderFor } from '#shared/outbound/senders.ts';
import { captureFetch } from '#tests/support/capture-fetch.ts';
import { testSenderSettings } from '#tests/support/sender-settings.ts';

/*
 * A Messenger or Instagram reply quotes the customer message its command answers (`reply_to`). The
 * Graph API's Page messages reference lists the field; the Send API guide does not describe it. A
 * deployment whose replies Meta refuses for it turns it off with the CDK context key
 * `messengerReplyQuotes` (the sender's SWITCHBOARD_MESSENGER_REPLY_QUOTES). Until 2026-12-07 the
 * sender had the switch but nothing set it.
 */

const PAGE_ID = '104728593216847';
const PSID = '8102736459921034';
const HUB_ID = `msg_${'d'.repeat(32)}`;
const endpoint = { type: 'facebook_page', id: PAGE_ID } as const;

const context: MessageContext = {
  target: {
    channel: 'messenger',
    provider: 'meta',
    endpoint,
    recipient: { type: 'psid', value: PSID },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: HUB_ID,
  sequence: 0,
  correlationId: correlationIdFor(HUB_ID, 0),
  policy: { withinWindow: true, humanAgentTag: false },
  replyTo: 'm_CUSTOMER',
};

/** The body of the one Send API request a text reply makes, with the given quoting setting. */
const replyBody = async (messengerReplyQuotes: boolean | undefined) => {
  const { fetch, requests } = captureFetch({ recipient_id: PSID, message_id: 'm_REPLY' });
  const senderFor = createSenderFor(
    testSenderSettings(
      async () => ({
        meta: { appSecret: 'secret', verifyToken: 'verify', accessToken: 'token', hubAppIds: ['1234567890'] },
      }),
      {
        fetch,
        ...(messengerReplyQuotes === undefined ? {} : { messengerReplyQuotes }),
      },
    ),
  );
  const sender = await senderFor({ provider: 'meta', channel: 'messenger', endpoint });
  const outcome = await sender?.send({ partIndex: 0, part: { type: 'text', text: 'On its way' } }, context);
  expect(outcome?.kind).toBe('accepted');
  expect(requests).toHaveLength(1);
  return requests[0]?.body;
};

describe('Messenger reply quotes', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetRuntimeConfig();
  });

  it('quotes the message answered by default, and leaves reply_to off when the deployment turns quoting off', async () => {
    // Act
    const byDefault = await replyBody(undefined);
    const off = await replyBody(false);
    // Assess
    expect(byDefault).toMatchObject({ reply_to: { mid: 'm_CUSTOMER' } });
    expect(off).not.toHaveProperty('reply_to');
    expect(off).toMatchObject({ recipient: { id: PSID }, message: { text: 'On its way' } });
  });

  it.each([
    [undefined, true],
    ['true', true],
    ['false', false],
    ['no', 'refused'],
  ] as const)('reads SWITCHBOARD_MESSENGER_REPLY_QUOTES %s as %s', (value, expected) => {
    // Prepare
    if (value !== undefined) vi.stubEnv('SWITCHBOARD_MESSENGER_REPLY_QUOTES', value);
    resetRuntimeConfig();
    // Act
    const read = () => runtimeConfig().SWITCHBOARD_MESSENGER_REPLY_QUOTES;
    // Assess
    if (expected === 'refused') expect(read).toThrow(/SWITCHBOARD_MESSENGER_REPLY_QUOTES/);
    else expect(read()).toBe(expected);
  });
});
