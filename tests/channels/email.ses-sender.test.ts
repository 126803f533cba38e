import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import PostalMime from 'postal-mime';
import { beforeEach, describe, expect, it } from 'vitest';
import { correlationIdOfTag } from '#shared/channels/email/correlation-tags.ts';
import { createSesSender } from '#shared/channels/email/outbound/ses-sender.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';

const sesMock = mockClient(SESv2Client);
const CONVERSATION = 'conv_0123456789abcdef0123456789abcdef';
const CORRELATION = 'msg_0123456789abcdef0123456789abcdef.0';
const HUB_ID = 'msg_0123456789abcdef0123456789abcdef.0@mail.switchboard.example';

const context: MessageContext = {
  target: {
    channel: 'email',
    provider: 'ses',
    endpoint: { type: 'email_address', id: 'support@switchboard.example' },
    recipient: { type: 'email', value: 'maria.keller@customer.example' },
    conversationId: CONVERSATION,
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: CORRELATION,
  policy: { withinWindow: true, humanAgentTag: false },
  email: {
    from: 'support@switchboard.example',
    replyTo: 'reply+conv_0123456789abcdef0123456789abcdef.0011223344556677@in.switchboard.example',
    subject: 'Re: Order 42',
    inReplyTo: 'CAF=2ab@mail.customer.example',
    references: ['CAF=2ab@mail.customer.example'],
    messageId: HUB_ID,
  },
};
const message = { partIndex: 0, part: { type: 'text', text: 'Your order ships today.' } } as const;

const sender = (timeoutMs?: number) =>
  createSesSender({
    client: new SESv2Client({ region: 'eu-west-1', maxAttempts: 1 }),
    configurationSetName: 'switchboard-events',
    now: () => new Date('2026-11-22T12:00:00.000Z'),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });

describe('SES sender', () => {
  beforeEach(() => {
    sesMock.reset();
  });

  it("sends the raw MIME with the correlation and conversation tags, accepted with SES's MessageId", async () => {
    // Prepare
    sesMock
      .on(SendEmailCommand)
      .resolves({ MessageId: '0102019a4f5e6d7c-11111111-2222-3333-4444-555555555555-000000' });
    // Act
    const outcome = await sender().send(message, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'accepted',
      providerMessageId: '0102019a4f5e6d7c-11111111-2222-3333-4444-555555555555-000000',
    });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    const input = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      FromEmailAddress: 'support@switchboard.example',
      Destination: { ToAddresses: ['maria.keller@customer.example'] },
      ConfigurationSetName: 'switchboard-events',
      EmailTags: [
        { Name: 'switchboard_correlation', Value: 'msg_0123456789abcdef0123456789abcdef-0' },
        { Name: 'switchboard_conversation', Value: CONVERSATION },
      ],
    });
    for (const tag of input?.EmailTags ?? []) expect(tag.Value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(correlationIdOfTag(input?.EmailTags?.[0]?.Value)).toBe(CORRELATION);
    const raw = input?.Content?.Raw?.Data;
    if (raw === undefined) throw new Error('no raw message');
    const email = await PostalMime.parse(raw);
    expect(email.messageId).toBe(`<${HUB_ID}>`);
    expect(email.references).toContain(`<${HUB_ID}>`);
    expect(email.text).toBe('Your order ships today.\n');
  });

  it('is ambiguous when SES answers nothing in time', async () => {
    // Prepare
    sesMock.on(SendEmailCommand).callsFake(() => new Promise(() => {}));
    // Act
    const outcome = await sender(50).send(message, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'TimeoutError' } });
  });

  it('refuses without a call when there is no e-mail threading', async () => {
    // Act
    const outcome = await sender().send(message, { ...context, email: undefined });
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'provider_error', retryable: false });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('sends to a Unicode domain in Punycode, in Destination and the To header alike', async () => {
    // Prepare: the contact as the inbound side keeps an RFC 6532 From (`Jörg <info@müller.de>`)
    sesMock.on(SendEmailCommand).resolves({ MessageId: '0102019a-000000' });
    const toMuller = {
      ...context,
      target: { ...context.target, recipient: { type: 'email', value: 'info@müller.de' } },
    } as const;
    // Act
    const outcome = await sender().send(message, toMuller);
    // Assess
    expect(outcome).toMatchObject({ kind: 'accepted' });
    const input = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.Destination?.ToAddresses).toEqual(['info@xn--mller-kva.de']);
    const raw = Buffer.from(input?.Content?.Raw?.Data ?? new Uint8Array(0));
    expect(/^To: (.*)$/m.exec(raw.toString('latin1'))?.[1]).toBe('info@xn--mller-kva.de');
  });

  it('refuses without a call an address SES cannot take (a local part not in ASCII)', async () => {
    // Act
    const outcome = await sender().send(message, {
      ...context,
      target: { ...context.target, recipient: { type: 'email', value: 'jörg@müller.de' } },
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'recipient_invalid', retryable: false });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('refuses without a call a conversation of another provider', async () => {
    // Act
    const outcome = await sender().send(message, {
      ...context,
      target: { ...context.target, provider: 'mailgun' },
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', error: { code: 'switchboard.wrong_sender' } });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });
});
