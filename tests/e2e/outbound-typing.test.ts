import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import type { Sample } from '#shared/local/samples.ts';
import type { SimulatedRequest } from '#shared/local/simulators/types.ts';
import { freshSample, type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * A typing indicator on the local hub: the helpdesk asks for it through the API, the sender finds
 * the message it answers and the simulated provider receives the indicator. WhatsApp shows typing
 * only in answer to a received message (`status: read` with its `message_id`, outbound.md 1.1).
 */

/** The inbound message of events/whatsapp/text.json. */
const CUSTOMER_WAMID = 'wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDM3MkVBMDhDQUIzM0U3MUMwMkM2AA==';

/** `sample` with every WhatsApp `timestamp` (epoch seconds) set `seconds` before now. */
const writtenAgo = (sample: Sample, seconds: number): Sample => ({
  ...sample,
  payload: Buffer.from(
    sample.payload
      .toString('utf8')
      .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(Date.now() / 1000) - seconds}"`),
    'utf8',
  ),
});

/** events/whatsapp/call-connect.json as a call of wa_id `customer` (no BSUID), `wacid.<callId>`, now. */
const callFrom = (customer: string, callId: string): Sample => {
  const sample = freshSample('whatsapp/call-connect.json');
  const json = JSON.parse(sample.payload.toString('utf8'));
  const value = json.entry[0].changes[0].value;
  value.contacts = [{ profile: { name: 'Zoë' }, wa_id: customer }];
  const { from_user_id: _bsuid, ...call } = value.calls[0];
  value.calls[0] = { ...call, id: `wacid.${callId}`, from: customer };
  return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') };
};

describe('typing indicator end to end', () => {
  let session: HubSession;

  beforeAll(async () => {
    session = await startHubSession();
  }, 120_000);
  afterAll(async () => {
    await session?.stop();
  });

  /** The simulator's requests after `before` that match, once `done` holds or after 15 s. */
  const requestsUntil = async (
    before: number,
    match: (request: SimulatedRequest) => boolean,
    done: (matched: SimulatedRequest[]) => boolean,
  ): Promise<SimulatedRequest[]> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const matched = (session.hub.providers?.requests() ?? []).slice(before).filter(match);
      if (done(matched) || Date.now() > deadline) return matched;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('WhatsApp: one read-and-typing request naming the customer message, not the answer after it', async () => {
    // Prepare: the customer wrote once and the business answered: the newest message is the answer
    const conversationId = await session.customerWrites(freshSample('whatsapp/text.json'));
    const answered = await session.sendCommand(conversationId, 'typing-first-answer', [
      { type: 'text', text: 'Let me check.' },
    ]);
    await session.collectUntil((seen) =>
      seen.some((event) => event.type === 'switchboard.message.sent' && event.data.hubMessageId === answered),
    );
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const answer = await fetch(`${session.hub.urls.api}/conversations/${conversationId}/typing`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.hub.apiToken}` },
    });
    const typing = await requestsUntil(
      before,
      (request) => request.provider === 'whatsapp',
      (matched) => matched.length > 0,
    );
    // Assess
    expect(answer.status).toBe(202);
    expect(typing).toHaveLength(1);
    expect(typing[0]?.path).toMatch(/^\/v\d+\.\d+\/\d+\/messages$/);
    expect(typing[0]?.body).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: CUSTOMER_WAMID,
      typing_indicator: { type: 'text' },
    });
    expect(typing[0]?.response.status).toBe(200);
    expect(typing[0]?.response.body).toEqual({ success: true });
  }, 60_000);

  it("WhatsApp: after the customer's call, the request names their message before it, not the call", async () => {
    // Prepare: the customer wrote a minute ago, then called (the call is their newest message)
    const conversationId = await session.customerWrites(
      writtenAgo(whatsappTextFrom('4915112340177', 'typing-before-call'), 60),
    );
    await session.post(callFrom('4915112340177', 'typing-after-text'));
    await session.collectUntil((seen) =>
      seen.some(
        (event) =>
          event.type === 'switchboard.message.received' &&
          event.data.providerMessageId === 'wacid.typing-after-text',
      ),
    );
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const answer = await fetch(`${session.hub.urls.api}/conversations/${conversationId}/typing`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.hub.apiToken}` },
    });
    const typing = await requestsUntil(
      before,
      (request) => request.provider === 'whatsapp',
      (matched) => matched.length > 0,
    );
    // Assess
    expect(answer.status).toBe(202);
    expect(typing).toHaveLength(1);
    expect(typing[0]?.body).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.typing-before-call',
      typing_indicator: { type: 'text' },
    });
    expect(typing[0]?.response.status).toBe(200);
  }, 60_000);
});
