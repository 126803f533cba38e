import { describe, expect, it } from 'vitest';
import {
  createMessengerSender,
  type MessengerSenderOptions,
} from '#shared/channels/messenger/outbound/sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import {
  correlationIdFor,
  type MessageContext,
  type SendPolicy,
  type SendTarget,
} from '#shared/outbound/channel-sender.ts';
import { captureFetch } from '#tests/support/capture-fetch.ts';

const PAGE_ID = '104728593216847';
const IG_ID = '17841405822304914';
const PSID = '8102736459921034';
const HUB_ID = `msg_${'c'.repeat(32)}`;
const OPEN: SendPolicy = { withinWindow: true, humanAgentTag: false };

const targetOf = (type: BusinessEndpoint['type'] = 'facebook_page'): SendTarget => ({
  channel: 'messenger',
  provider: 'meta',
  endpoint: { type, id: type === 'facebook_page' ? PAGE_ID : IG_ID },
  recipient: { type: type === 'facebook_page' ? 'psid' : 'igsid', value: PSID },
  conversationId: 'conv_1',
});

const contextFor = (extra: Partial<MessageContext> = {}): MessageContext => ({
  target: targetOf(),
  hubMessageId: HUB_ID,
  sequence: 1,
  correlationId: correlationIdFor(HUB_ID, 1),
  policy: OPEN,
  ...extra,
});

const senderWith = (answer: unknown, extra: Partial<MessengerSenderOptions> = {}) => {
  const capture = captureFetch(answer);
  const sender = createMessengerSender({
    graphBaseUrl: 'https://graph.example',
    apiVersion: 'v23.0',
    accessTokenFor: (id) => `token-${id}`,
    fetch: capture.fetch,
    ...extra,
  });
  return { sender, requests: capture.requests };
};

const requestFor = async (
  part: OutboundPart,
  context = contextFor(),
  extra: Partial<MessengerSenderOptions> = {},
) => {
  const { sender, requests } = senderWith({ recipient_id: PSID, message_id: 'm_OUT' }, extra);
  const outcome = await sender.send({ partIndex: 0, part }, context);
  expect(outcome.kind).toBe('accepted');
  expect(requests).toHaveLength(1);
  return requests[0] as (typeof requests)[number];
};

const metadata = `${HUB_ID}.1`;

describe('Messenger request shape', () => {
  it('posts text to /{version}/{page id}/messages as a RESPONSE with the correlation id as metadata', async () => {
    // Act
    const request = await requestFor({ type: 'text', text: 'Բարև' });
    // Assess
    expect(request.url).toBe(`https://graph.example/v23.0/${PAGE_ID}/messages`);
    expect(request.headers.authorization).toBe(`Bearer token-${PAGE_ID}`);
    expect(request.body).toEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Բարև', metadata },
    });
  });

  it('tags a human agent reply outside the window and quotes the message answered', async () => {
    // Prepare
    const context = contextFor({ policy: { withinWindow: false, humanAgentTag: true }, replyTo: 'm_IN' });
    // Act
    const request = await requestFor({ type: 'text', text: 'Sorry for the wait' }, context);
    const unquoted = await requestFor({ type: 'text', text: 'x' }, context, { quoteReplies: false });
    // Assess
    expect(request.body).toEqual({
      recipient: { id: PSID },
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Sorry for the wait', metadata },
      reply_to: { mid: 'm_IN' },
    });
    expect(unquoted.body).not.toHaveProperty('reply_to');
  });

  it('sends attachments by URL and buttons as quick replies', async () => {
    // Act
    const file = await requestFor({
      type: 'media',
      kind: 'file',
      source: { url: 'https://cdn.example/a.pdf' },
    });
    const buttons = await requestFor({
      type: 'interactive',
      body: 'Did that help?',
      buttons: [
        { id: 'HELPED_YES', title: 'Yes' },
        { id: 'HELPED_NO', title: 'No' },
      ],
    });
    // Assess
    expect(file.body).toEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: {
        attachment: { type: 'file', payload: { url: 'https://cdn.example/a.pdf', is_reusable: false } },
        metadata,
      },
    });
    expect(buttons.body).toEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: {
        text: 'Did that help?',
        quick_replies: [
          { content_type: 'text', title: 'Yes', payload: 'HELPED_YES' },
          { content_type: 'text', title: 'No', payload: 'HELPED_NO' },
        ],
        metadata,
      },
    });
  });

  it('reacts and unreacts with sender actions, naming the reaction by its target', async () => {
    // Prepare
    const { sender, requests } = senderWith({ recipient_id: PSID });
    // Act
    const react = await sender.send(
      { partIndex: 0, part: { type: 'reaction', targetProviderMessageId: 'm_IN', emoji: '😊' } },
      contextFor(),
    );
    const unreact = await sender.send(
      { partIndex: 0, part: { type: 'reaction', targetProviderMessageId: 'm_IN', emoji: '' } },
      contextFor(),
    );
    // Assess
    expect(requests.map((r) => r.body)).toEqual([
      { recipient: { id: PSID }, sender_action: 'react', payload: { message_id: 'm_IN', reaction: '😊' } },
      { recipient: { id: PSID }, sender_action: 'unreact', payload: { message_id: 'm_IN' } },
    ]);
    expect(react).toEqual({ kind: 'accepted', providerMessageId: 'react:m_IN' });
    expect(unreact).toEqual({ kind: 'accepted', providerMessageId: 'unreact:m_IN' });
  });

  it("posts an Instagram account's messages and sender actions to /me/messages with the account's token", async () => {
    // Prepare: `me` is the page the token belongs to, the page linked to the account
    const { sender, requests } = senderWith({ recipient_id: PSID, message_id: 'm_OUT' });
    const instagram = targetOf('instagram_account');
    // Act
    const text = await sender.send(
      { partIndex: 0, part: { type: 'text', text: 'hi' } },
      contextFor({ target: instagram }),
    );
    const reaction = await sender.send(
      { partIndex: 0, part: { type: 'reaction', targetProviderMessageId: 'm_IN', emoji: '❤️' } },
      contextFor({ target: instagram }),
    );
    const read = await sender.markRead?.(instagram, 'm_IN');
    const typing = await sender.typing?.(instagram, 'm_IN');
    // Assess
    expect([text, reaction, read, typing].map((outcome) => outcome?.kind)).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'accepted',
    ]);
    expect(requests.map((request) => request.url)).toEqual(
      Array(4).fill('https://graph.example/v23.0/me/messages'),
    );
    expect(requests.map((request) => request.headers.authorization)).toEqual(
      Array(4).fill(`Bearer token-${IG_ID}`),
    );
    expect(requests.map((request) => request.body)).toMatchObject([
      { recipient: { id: PSID }, message: { text: 'hi' } },
      { recipient: { id: PSID }, sender_action: 'react', payload: { message_id: 'm_IN', reaction: 'love' } },
      { recipient: { id: PSID }, sender_action: 'mark_seen' },
      { recipient: { id: PSID }, sender_action: 'typing_on' },
    ]);
  });

  it('sends an Instagram ❤️ as Meta\'s "love", with or without the variation selector, and unreacts as on a page', async () => {
    // Prepare
    const { sender, requests } = senderWith({ recipient_id: PSID });
    const instagram = contextFor({ target: targetOf('instagram_account') });
    const reaction = (emoji: string) => ({
      partIndex: 0,
      part: { type: 'reaction' as const, targetProviderMessageId: 'aWdfZAG1f', emoji },
    });
    // Act
    const outcomes = [
      await sender.send(reaction('\u2764\uFE0F'), instagram),
      await sender.send(reaction('\u2764'), instagram),
      await sender.send(reaction(''), instagram),
      await sender.send(reaction('\u2764\uFE0F'), contextFor()),
    ];
    // Assess: a page keeps the emoji itself
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    expect(requests.map((request) => request.body)).toEqual([
      {
        recipient: { id: PSID },
        sender_action: 'react',
        payload: { message_id: 'aWdfZAG1f', reaction: 'love' },
      },
      {
        recipient: { id: PSID },
        sender_action: 'react',
        payload: { message_id: 'aWdfZAG1f', reaction: 'love' },
      },
      { recipient: { id: PSID }, sender_action: 'unreact', payload: { message_id: 'aWdfZAG1f' } },
      {
        recipient: { id: PSID },
        sender_action: 'react',
        payload: { message_id: 'aWdfZAG1f', reaction: '\u2764\uFE0F' },
      },
    ]);
  });

  it('makes no call for an Instagram reaction Meta does not take (a message prepared without the check)', async () => {
    // Prepare
    const { sender, requests } = senderWith({ recipient_id: PSID });
    // Act
    const outcome = await sender.send(
      { partIndex: 0, part: { type: 'reaction', targetProviderMessageId: 'aWdfZAG1f', emoji: '😂' } },
      contextFor({ target: targetOf('instagram_account') }),
    );
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'content_invalid', retryable: false });
    expect(requests).toHaveLength(0);
  });

  it('makes no call outside the window without the tag, for a wrong identity, or for text too long for Instagram', async () => {
    // Prepare
    const { sender, requests } = senderWith({ recipient_id: PSID, message_id: 'm_OUT' });
    const text = { partIndex: 0, part: { type: 'text' as const, text: 'x'.repeat(1500) } };
    const wrongIdentity: SendTarget = { ...targetOf(), recipient: { type: 'igsid', value: PSID } };
    // Act
    const closed = await sender.send(
      text,
      contextFor({ policy: { withinWindow: false, humanAgentTag: false } }),
    );
    const identity = await sender.send(text, contextFor({ target: wrongIdentity }));
    const instagram = await sender.send(text, contextFor({ target: targetOf('instagram_account') }));
    // Assess
    expect(closed).toMatchObject({ kind: 'refused', reason: 'window_closed' });
    expect(identity).toMatchObject({ kind: 'refused', reason: 'recipient_invalid' });
    expect(instagram).toMatchObject({ kind: 'refused', reason: 'content_invalid' });
    expect(requests).toHaveLength(0);
  });
});
