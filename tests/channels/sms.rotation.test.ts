import { describe, expect, it } from 'vitest';
import { cachedSectionSecrets, type SecretValueReader } from '#shared/aws/section-secrets.ts';
import { twilioFormRefusal } from '#shared/channels/sms/inbound/accounts.ts';
import { signTwilioRequest } from '#shared/channels/sms/inbound/signature.ts';
import { CHANNEL_SECRET_SECTIONS } from '#shared/config/secrets.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';
import { createSenderFor } from '#shared/outbound/senders.ts';
import { testSenderSettings } from '#tests/support/sender-settings.ts';

/*
 * Rotating a Twilio auth token as the README says (Secrets, "Rotating a Twilio auth token"): the new
 * token as `authToken`, the old as `secondaryAuthToken`, then Twilio's promotion. Webhooks pass before
 * it (signed with the old primary) and after (the new), and replies log in with the new token
 * throughout; the other order keeps webhooks passing but refuses every reply after the promotion
 * (found by a review on 2026-12-06). The real secrets cache (a fake Secrets Manager), the real
 * webhook check, the real Twilio sender over a fake Twilio.
 */

const MAIN = `AC${'a'.repeat(32)}`;
const OLD = 'old-primary-token';
const NEW = 'new-secondary-token';
const URL_ = 'https://hub.example.com/webhooks/sms';

/** Twilio, taking these tokens' logins (before the promotion both, after it the new one alone). */
const twilioTaking = (tokens: readonly string[]): typeof fetch =>
  (async (_input: string | URL | Request, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const ok = tokens.some(
      (token) => headers.authorization === `Basic ${Buffer.from(`${MAIN}:${token}`).toString('base64')}`,
    );
    return ok
      ? new Response(JSON.stringify({ sid: `SM${'c'.repeat(32)}`, status: 'queued' }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        })
      : new Response(JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }), {
          status: 401,
          headers: { 'content-type': 'application/json' },
        });
  }) as typeof fetch;

const context: MessageContext = {
  target: {
    channel: 'sms',
    provider: 'twilio',
    endpoint: { type: 'phone_number', id: '+14155550100' },
    recipient: { type: 'phone', value: '+447700900123' },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: { withinWindow: true, humanAgentTag: false },
};

const params = [
  ['AccountSid', MAIN],
  ['From', '+447700900123'],
  ['To', '+14155550100'],
  ['Body', 'hi'],
] as const;

/** The webhook check and a reply's outcome, with this secret, Twilio signing with `signer` and taking `logins`. */
const duringRotation = async (secret: Record<string, string>, signer: string, logins: readonly string[]) => {
  const reader: SecretValueReader = {
    getSecretValue: async () => ({ SecretString: JSON.stringify({ ...secret, accountSid: MAIN }) }),
  };
  const secrets = cachedSectionSecrets(CHANNEL_SECRET_SECTIONS, {
    reader,
    sectionSecretIds: { twilio: 'arn:twilio' },
    now: () => 0,
  });
  const twilio = (await secrets()).twilio;
  if (twilio === undefined || 'unreadable' in twilio) throw new Error('no twilio section');
  const refusal = twilioFormRefusal(twilio, URL_, params, signTwilioRequest(signer, URL_, params));
  const senderFor = createSenderFor(testSenderSettings(secrets, { fetch: twilioTaking(logins) }));
  const sender = await senderFor({ provider: 'twilio', channel: 'sms', endpoint: context.target.endpoint });
  const outcome = await sender?.send({ partIndex: 0, part: { type: 'text', text: 'hello' } }, context);
  return { refusal, outcome: outcome?.kind };
};

describe('rotating a Twilio auth token', () => {
  const documented = { authToken: NEW, secondaryAuthToken: OLD };

  it('takes webhooks and sends replies before Twilio promotes the new token', async () => {
    // Act: Twilio still signs with the old primary; both tokens log in
    const before = await duringRotation(documented, OLD, [OLD, NEW]);
    // Assess
    expect(before).toEqual({ refusal: undefined, outcome: 'accepted' });
  });

  it('takes webhooks and sends replies after it', async () => {
    // Act: webhooks signed with the new token; the old one no longer logs in
    const after = await duringRotation(documented, NEW, [NEW]);
    // Assess
    expect(after).toEqual({ refusal: undefined, outcome: 'accepted' });
  });

  it('with the tokens the other way round, refuses every reply after the promotion', async () => {
    // Act
    const after = await duringRotation({ authToken: OLD, secondaryAuthToken: NEW }, NEW, [NEW]);
    // Assess: the webhook passes, the reply's login is the deleted token
    expect(after).toEqual({ refusal: undefined, outcome: 'credentials' });
  });
});
