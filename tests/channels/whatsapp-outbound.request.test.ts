import { describe, expect, it } from 'vitest';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { ChannelIdentity } from '#shared/contract/types.ts';
import {
  correlationIdFor,
  type MessageContext,
  type PreparedMessage,
  type SendTarget,
} from '#shared/outbound/channel-sender.ts';
import { captureFetch } from '#tests/support/capture-fetch.ts';

const PHONE_NUMBER_ID = '109384756201938';
const HUB_ID = `msg_${'a'.repeat(32)}`;

const targetFor = (recipient: ChannelIdentity = { type: 'wa_id', value: '4915112345678' }): SendTarget => ({
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: PHONE_NUMBER_ID },
  recipient,
  conversationId: 'conv_1',
});

const contextFor = (extra: Partial<MessageContext> = {}): MessageContext => ({
  target: targetFor(),
  hubMessageId: HUB_ID,
  sequence: 0,
  correlationId: correlationIdFor(HUB_ID, 0),
  policy: { withinWindow: true, humanAgentTag: false },
  ...extra,
});

/** Sends one part (staged as `staged` says) and returns the one request the sender made. */
const requestFor = async (
  part: OutboundPart,
  context = contextFor(),
  staged: Pick<PreparedMessage, 'uploadedMediaId' | 'uploadedFilename'> = {},
) => {
  const capture = captureFetch({ messages: [{ id: 'wamid.OUT' }] });
  const sender = createWhatsAppSender({
    graphBaseUrl: 'https://graph.example/',
    apiVersion: 'v23.0',
    accessTokenFor: (id) => (id === PHONE_NUMBER_ID ? 'EAAG-token' : undefined),
    fetch: capture.fetch,
  });
  const outcome = await sender.send({ partIndex: 0, part, ...staged }, context);
  expect(outcome).toEqual({ kind: 'accepted', providerMessageId: 'wamid.OUT' });
  expect(capture.requests).toHaveLength(1);
  return capture.requests[0] as (typeof capture.requests)[number];
};

const envelope = {
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: '4915112345678',
  biz_opaque_callback_data: `${HUB_ID}.0`,
};

describe('WhatsApp request shape', () => {
  it('posts text to /{version}/{phone number id}/messages with the Bearer token', async () => {
    // Act
    const request = await requestFor({ type: 'text', text: 'Γειά σας' });
    // Assess
    expect(request.url).toBe(`https://graph.example/v23.0/${PHONE_NUMBER_ID}/messages`);
    expect(request.method).toBe('POST');
    expect(request.headers.authorization).toBe('Bearer EAAG-token');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ ...envelope, type: 'text', text: { body: 'Γειά σας' } });
  });

  it('answers a message with context and addresses a business-scoped user id by recipient', async () => {
    // Prepare
    const context = contextFor({
      replyTo: 'wamid.IN',
      target: targetFor({ type: 'bsuid', value: 'GR.13491208655302741918' }),
    });
    // Act
    const request = await requestFor({ type: 'text', text: 'yes' }, context);
    // Assess
    const { to: _to, ...rest } = envelope;
    expect(request.body).toEqual({
      ...rest,
      recipient: 'GR.13491208655302741918',
      type: 'text',
      text: { body: 'yes' },
      context: { message_id: 'wamid.IN' },
    });
  });

  it('sends media by link: caption on images, filename on documents, neither on audio', async () => {
    // Act
    const image = await requestFor({
      type: 'media',
      kind: 'image',
      source: { url: 'https://cdn.example/a.jpg' },
      caption: 'Invoice',
    });
    const file = await requestFor({
      type: 'media',
      kind: 'file',
      source: { url: 'https://cdn.example/a.pdf' },
      filename: 'invoice.pdf',
      caption: 'Your invoice',
    });
    const audio = await requestFor({
      type: 'media',
      kind: 'audio',
      source: { url: 'https://cdn.example/a.ogg' },
      filename: 'x.ogg',
    });
    // Assess
    expect(image.body).toEqual({
      ...envelope,
      type: 'image',
      image: { link: 'https://cdn.example/a.jpg', caption: 'Invoice' },
    });
    expect(file.body).toEqual({
      ...envelope,
      type: 'document',
      document: { link: 'https://cdn.example/a.pdf', caption: 'Your invoice', filename: 'invoice.pdf' },
    });
    expect(audio.body).toEqual({ ...envelope, type: 'audio', audio: { link: 'https://cdn.example/a.ogg' } });
  });

  it("names a document sent by its upload as it was uploaded, the part's own filename first; no other kind", async () => {
    // Prepare: files from the hub's bucket, uploaded as MEDIA1 under the names the core chose
    const stored = (s3Key: string, extra: Partial<Extract<OutboundPart, { type: 'media' }>> = {}) =>
      ({ type: 'media', kind: 'file', source: { s3Key }, ...extra }) as OutboundPart;
    const uploaded = { uploadedMediaId: 'MEDIA1', uploadedFilename: 'Quote 4711.pdf' };
    // Act
    const unnamed = await requestFor(stored('media/outbound/q/file.pdf'), contextFor(), uploaded);
    const named = await requestFor(
      stored('media/outbound/q/file.pdf', { filename: 'Angebot.pdf' }),
      contextFor(),
      uploaded,
    );
    const image = await requestFor(
      { type: 'media', kind: 'image', source: { s3Key: 'media/outbound/q/file.jpg' } },
      contextFor(),
      { uploadedMediaId: 'MEDIA2', uploadedFilename: 'photo.jpg' },
    );
    // Assess: WhatsApp shows the message's filename only ("Untitled" without one)
    expect(unnamed.body).toEqual({
      ...envelope,
      type: 'document',
      document: { id: 'MEDIA1', filename: 'Quote 4711.pdf' },
    });
    expect(named.body).toMatchObject({ document: { id: 'MEDIA1', filename: 'Angebot.pdf' } });
    expect(image.body).toEqual({ ...envelope, type: 'image', image: { id: 'MEDIA2' } });
  });

  it('sends a template with positional or named body parameters, and none', async () => {
    // Act
    const positional = await requestFor({
      type: 'template',
      name: 'order_update',
      language: 'el',
      category: 'utility',
      parameters: ['Ada', '42'],
    });
    const named = await requestFor({
      type: 'template',
      name: 'order_update',
      language: 'en_US',
      category: 'utility',
      parameters: { first_name: 'Ada' },
    });
    const bare = await requestFor({
      type: 'template',
      name: 'hello_world',
      language: 'en_US',
      category: 'utility',
    });
    // Assess
    expect(positional.body).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'el', policy: 'deterministic' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ada' },
              { type: 'text', text: '42' },
            ],
          },
        ],
      },
    });
    expect(named.body).toMatchObject({
      template: {
        components: [
          { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ada' }] },
        ],
      },
    });
    expect(bare.body).toEqual({
      ...envelope,
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US', policy: 'deterministic' } },
    });
  });

  it('sends reply buttons and lists as interactive messages', async () => {
    // Act
    const buttons = await requestFor({
      type: 'interactive',
      body: 'Confirm?',
      buttons: [
        { id: 'yes', title: 'Yes' },
        { id: 'no', title: 'No' },
      ],
    });
    const list = await requestFor({
      type: 'interactive',
      body: 'Pick a slot',
      list: {
        button: 'Slots',
        sections: [{ title: 'Monday', rows: [{ id: 'm9', title: '09:00', description: 'Morning' }] }],
      },
    });
    // Assess
    expect(buttons.body).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Confirm?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
            { type: 'reply', reply: { id: 'no', title: 'No' } },
          ],
        },
      },
    });
    expect(list.body).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Pick a slot' },
        action: {
          button: 'Slots',
          sections: [{ title: 'Monday', rows: [{ id: 'm9', title: '09:00', description: 'Morning' }] }],
        },
      },
    });
  });

  it('sends reactions (without reply context) and locations', async () => {
    // Act
    const reaction = await requestFor(
      { type: 'reaction', targetProviderMessageId: 'wamid.IN', emoji: '👍' },
      contextFor({ replyTo: 'wamid.OTHER' }),
    );
    const removal = await requestFor({ type: 'reaction', targetProviderMessageId: 'wamid.IN', emoji: '' });
    const location = await requestFor({
      type: 'location',
      latitude: 37.9715,
      longitude: 23.7257,
      name: 'Office',
      address: 'Athens',
    });
    // Assess
    expect(reaction.body).toEqual({
      ...envelope,
      type: 'reaction',
      reaction: { message_id: 'wamid.IN', emoji: '👍' },
    });
    expect(removal.body).toEqual({
      ...envelope,
      type: 'reaction',
      reaction: { message_id: 'wamid.IN', emoji: '' },
    });
    expect(location.body).toEqual({
      ...envelope,
      type: 'location',
      location: { latitude: 37.9715, longitude: 23.7257, name: 'Office', address: 'Athens' },
    });
  });

  it('marks read and shows typing on the same endpoint', async () => {
    // Prepare
    const capture = captureFetch({ success: true });
    const sender = createWhatsAppSender({
      graphBaseUrl: 'https://graph.example',
      apiVersion: 'v23.0',
      accessTokenFor: () => 'EAAG-token',
      fetch: capture.fetch,
    });
    // Act
    const read = await sender.markRead?.(targetFor(), 'wamid.IN');
    const typing = await sender.typing?.(targetFor(), 'wamid.IN');
    const noMessage = await sender.typing?.(targetFor(), undefined);
    // Assess
    expect(read).toEqual({ kind: 'accepted', providerMessageId: 'wamid.IN' });
    expect(typing).toEqual({ kind: 'accepted', providerMessageId: 'wamid.IN' });
    expect(noMessage).toMatchObject({ kind: 'refused', retryable: false });
    expect(capture.requests.map((r) => [r.url, r.body])).toEqual([
      [
        `https://graph.example/v23.0/${PHONE_NUMBER_ID}/messages`,
        { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN' },
      ],
      [
        `https://graph.example/v23.0/${PHONE_NUMBER_ID}/messages`,
        {
          messaging_product: 'whatsapp',
          status: 'read',
          message_id: 'wamid.IN',
          typing_indicator: { type: 'text' },
        },
      ],
    ]);
  });
});
