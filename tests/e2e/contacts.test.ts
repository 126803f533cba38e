import { SQSClient } from '@aws-sdk/client-sqs';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from '#shared/contract/generated/helpdesk-api.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import {
  emailFrom,
  postSample,
  smsFrom,
  whatsappTextFrom,
  whatsappTextFromBsuid,
  whatsappTextWithBsuidFrom,
} from '#shared/local/live-samples.ts';
import { collectHelpdeskUntil, takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';

/*
 * One customer across channels on the local hub: the same phone number on WhatsApp and by SMS is
 * one person (one contactId on the stream, one contact with both channels in the API), another
 * number is another person.
 */
describe('one customer across channels', () => {
  let hub: LocalHub;
  let sqs: SQSClient;

  beforeAll(async () => {
    hub = await startLocalHub({ inMemory: true, port: 0, pollWaitSeconds: 1, retryVisibilitySeconds: 1 });
    sqs = new SQSClient({ endpoint: hub.endpoints.sqs, region: hub.region, credentials: hub.credentials });
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await hub?.stop();
  });

  it('links a WhatsApp wa_id and an SMS sender of the same number, and not another number', async () => {
    // Prepare
    const statuses = [
      await postSample(hub.urls.base, whatsappTextFrom('306912345678', 'contacts-1')),
      await postSample(hub.urls.base, smsFrom('+306912345678', '1')),
      await postSample(hub.urls.base, smsFrom('+306912345679', '2')),
    ];
    expect(await hub.waitForRecorder()).toBe(true);
    const api = createClient<paths>({
      baseUrl: hub.urls.base,
      headers: { authorization: `Bearer ${hub.apiToken}` },
    });
    // Act
    const received = (await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl)).filter(
      (event) => event.type === 'switchboard.message.received',
    );
    const contactIdOf = (channel: string, identity: string) =>
      received
        .map((event) => event.data)
        .find(
          (data) =>
            data.channel === channel &&
            'contact' in data &&
            data.contact.identities.some((one) => one.value === identity),
        )?.contactId;
    const person = contactIdOf('whatsapp', '306912345678');
    const sameNumberBySms = contactIdOf('sms', '+306912345678');
    const stranger = contactIdOf('sms', '+306912345679');
    const contact = await api.GET('/v1/contacts/{contactId}', {
      params: { path: { contactId: person ?? '' } },
    });
    const journey = await api.GET('/v1/contacts/{contactId}/conversations', {
      params: { path: { contactId: person ?? '' } },
    });
    // Assess
    expect(statuses.every((status) => status < 300)).toBe(true);
    expect(received).toHaveLength(3);
    expect(person).toMatch(/^ct_[0-9a-f]{32}$/);
    expect(sameNumberBySms).toBe(person);
    expect(stranger).toMatch(/^ct_/);
    expect(stranger).not.toBe(person);
    expect(contact.data?.channels.map((channel) => channel.channel).sort()).toEqual(['sms', 'whatsapp']);
    expect(journey.data?.items.map((item) => item.channel).sort()).toEqual(['sms', 'whatsapp']);
    expect(new Set(journey.data?.items.map((item) => item.contactId))).toEqual(new Set([person]));
  }, 60_000);

  it('exports then erases the person through the API, announces it on the stream, and answers 404 after', async () => {
    // Prepare
    expect(
      await postSample(hub.urls.base, whatsappTextFrom('306912349999', 'contacts-erase-1')),
    ).toBeLessThan(300);
    expect(await hub.waitForRecorder()).toBe(true);
    const received = (await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl)).find(
      (event) => event.type === 'switchboard.message.received',
    );
    const contactId = received && 'contactId' in received.data ? (received.data.contactId ?? '') : '';
    const api = createClient<paths>({
      baseUrl: hub.urls.base,
      headers: { authorization: `Bearer ${hub.apiToken}` },
    });
    const path = { contactId };
    // Act
    const exported = await api.GET('/v1/contacts/{contactId}/export', { params: { path } });
    const erased = await api.DELETE('/v1/contacts/{contactId}', { params: { path } });
    const stream = await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl);
    const again = await api.GET('/v1/contacts/{contactId}', { params: { path } });
    // Assess
    expect(JSON.stringify(exported.data)).toContain('306912349999');
    expect(erased.response.status).toBe(200);
    expect(erased.data?.itemsDeleted).toBeGreaterThan(0);
    expect(
      stream.filter((event) => event.type === 'switchboard.contact.erased').map((event) => event.subject),
    ).toEqual([contactId]);
    expect(again.response.status).toBe(404);
  }, 60_000);

  it('records an opt-out the helpdesk was told of, publishes it with its evidence, and the next SMS is refused', async () => {
    // Prepare
    expect(await postSample(hub.urls.base, smsFrom('+306912347777', '77'))).toBeLessThan(300);
    expect(await hub.waitForRecorder()).toBe(true);
    const received = (await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl)).find(
      (event) => event.type === 'switchboard.message.received',
    );
    const contactId = received && 'contactId' in received.data ? (received.data.contactId ?? '') : '';
    const conversationId = received?.subject ?? '';
    const api = createClient<paths>({
      baseUrl: hub.urls.base,
      headers: { authorization: `Bearer ${hub.apiToken}` },
    });
    // Act
    const recorded = await api.POST('/v1/contacts/{contactId}/consent', {
      params: { path: { contactId } },
      body: {
        channel: 'sms',
        consent: 'opted_out',
        evidence: 'asked on the phone to agent-7 not to be texted',
      },
    });
    const reply = await api.POST('/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId }, header: { 'Idempotency-Key': 'consent-e2e-1' } },
      body: { parts: [{ type: 'text', text: 'Hello?' }], sender: { kind: 'agent', id: 'agent-7' } },
    });
    const events = await collectHelpdeskUntil(sqs, hub.resources.helpdeskQueueUrl, (seen) =>
      seen.some((event) => event.type === 'switchboard.message.send_failed'),
    );
    // Assess
    expect(recorded.data).toMatchObject({
      contactId,
      channel: 'sms',
      scope: 'sms',
      consent: 'opted_out',
      contacts: 1,
    });
    expect(events.find((event) => event.type === 'switchboard.contact.consent_changed')?.data).toMatchObject({
      scope: 'sms',
      consent: 'opted_out',
      source: 'helpdesk',
      evidence: 'asked on the phone to agent-7 not to be texted',
    });
    expect(reply.response.status).toBe(202);
    expect(events.find((event) => event.type === 'switchboard.message.send_failed')?.data).toMatchObject({
      hubMessageId: reply.data?.hubMessageId,
      reason: 'opted_out',
    });
    const ledger = await api.GET('/v1/contacts/{contactId}/consent', { params: { path: { contactId } } });
    expect(ledger.data?.changes).toEqual([
      expect.objectContaining({
        channel: 'sms',
        consent: 'opted_out',
        source: 'helpdesk',
        evidence: 'asked on the phone to agent-7 not to be texted',
      }),
    ]);
  }, 60_000);

  it("the issue's journey: one person on WhatsApp (wa_id and BSUID, then BSUID alone), SMS and, after a merge, e-mail", async () => {
    // Prepare
    const phone = '306912348888';
    const bsuid = 'GR.journey-8888';
    const samples = [
      whatsappTextWithBsuidFrom(phone, bsuid, 'journey-1'),
      whatsappTextFromBsuid(bsuid, 'journey-2'),
      smsFrom(`+${phone}`, 'journey-3'),
      emailFrom('eleni.journey@mail.example.org', 'journey-4'),
    ];
    // One after the other, as the customer wrote them (two first messages under identifiers that share
    // nothing yet would each be announced under the person known at the time).
    for (const sample of samples) {
      expect(await postSample(hub.urls.base, sample)).toBeLessThan(300);
      expect(await hub.waitForRecorder()).toBe(true);
    }
    const received = (await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl)).filter(
      (event) => event.type === 'switchboard.message.received',
    );
    const personOf = (channel: string) =>
      received.flatMap((event) =>
        event.data.channel === channel && 'contactId' in event.data ? [event.data.contactId] : [],
      );
    const [person] = personOf('sms');
    const [byEmail] = personOf('email');
    const api = createClient<paths>({
      baseUrl: hub.urls.base,
      headers: { authorization: `Bearer ${hub.apiToken}` },
    });
    // Act
    const merged = await api.POST('/v1/contacts/{contactId}/merge', {
      params: { path: { contactId: person ?? '' } },
      body: { contactId: byEmail ?? '', reason: 'gave her e-mail address on WhatsApp' },
    });
    const journey = await api.GET('/v1/contacts/{contactId}/conversations', {
      params: { path: { contactId: person ?? '' } },
    });
    // Assess
    expect(received).toHaveLength(4);
    expect(new Set(personOf('whatsapp'))).toEqual(new Set([person]));
    expect(byEmail).not.toBe(person);
    expect(merged.response.status).toBe(200);
    const items = journey.data?.items ?? [];
    expect(items.map((item) => item.channel).sort()).toEqual(['email', 'sms', 'whatsapp']);
    expect(new Set(items.map((item) => item.contactId))).toEqual(new Set([person]));
    expect(
      new Set(received.filter((event) => event.data.channel === 'whatsapp').map((event) => event.subject))
        .size,
    ).toBe(1);
  }, 60_000);

  it('merges two people the hub could not link, carries the merge to new messages, and an unmerge restores both', async () => {
    // Prepare: one customer who wrote by WhatsApp from one number and by SMS from another.
    expect(await postSample(hub.urls.base, whatsappTextFrom('306912341111', 'merge-1'))).toBeLessThan(300);
    expect(await postSample(hub.urls.base, smsFrom('+306912342222', 'merge-2'))).toBeLessThan(300);
    expect(await hub.waitForRecorder()).toBe(true);
    const first = (await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl)).filter(
      (event) => event.type === 'switchboard.message.received',
    );
    const idOf = (channel: string) => {
      const data = first.find((event) => event.data.channel === channel)?.data;
      return data && 'contactId' in data ? (data.contactId ?? '') : '';
    };
    const surviving = idOf('whatsapp');
    const discarded = idOf('sms');
    const smsConversation = first.find((event) => event.data.channel === 'sms')?.subject;
    const api = createClient<paths>({
      baseUrl: hub.urls.base,
      headers: { authorization: `Bearer ${hub.apiToken}` },
    });
    const reason = 'same customer: confirmed both numbers on a call (ticket 4711)';
    const journeyOf = async (contactId: string) =>
      (
        await api.GET('/v1/contacts/{contactId}/conversations', { params: { path: { contactId } } })
      ).data?.items.map((item) => `${item.channel}:${item.contactId}`);
    // Act: merge (twice, as a retried request), a new SMS, then unmerge.
    const merged = await api.POST('/v1/contacts/{contactId}/merge', {
      params: { path: { contactId: surviving } },
      body: { contactId: discarded, reason },
    });
    const retried = await api.POST('/v1/contacts/{contactId}/merge', {
      params: { path: { contactId: surviving } },
      body: { contactId: discarded, reason },
    });
    const reverse = await api.POST('/v1/contacts/{contactId}/merge', {
      params: { path: { contactId: discarded } },
      body: { contactId: surviving, reason },
    });
    const mergedJourney = await journeyOf(surviving);
    const byDiscardedId = await api.GET('/v1/contacts/{contactId}', {
      params: { path: { contactId: discarded } },
    });
    const eraseDiscarded = await api.DELETE('/v1/contacts/{contactId}', {
      params: { path: { contactId: discarded } },
    });
    expect(await postSample(hub.urls.base, smsFrom('+306912342222', 'merge-3'))).toBeLessThan(300);
    expect(await hub.waitForRecorder()).toBe(true);
    const unmerged = await api.POST('/v1/contacts/{contactId}/unmerge', {
      params: { path: { contactId: surviving } },
      body: { contactId: discarded, reason: 'two sisters sharing a phone' },
    });
    // The same unmerge again, as a client whose answer was lost sends it.
    const unmergedAgain = await api.POST('/v1/contacts/{contactId}/unmerge', {
      params: { path: { contactId: surviving } },
      body: { contactId: discarded, reason: 'two sisters sharing a phone' },
    });
    const survivingAfter = await journeyOf(surviving);
    const discardedAfter = await journeyOf(discarded);
    const stream = await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl);
    // Assess
    expect(surviving).not.toBe(discarded);
    expect(merged.data).toMatchObject({
      survivingContactId: surviving,
      discardedContactId: discarded,
      reason,
      conversationIds: [smsConversation],
    });
    expect(retried.data).toEqual(merged.data);
    expect(reverse.response.status).toBe(409);
    expect(mergedJourney?.sort()).toEqual([`sms:${surviving}`, `whatsapp:${surviving}`]);
    expect(byDiscardedId.data?.contactId).toBe(surviving);
    expect(byDiscardedId.data?.merged).toEqual([
      { contactId: discarded, reason, mergedAt: merged.data?.mergedAt },
    ]);
    expect(eraseDiscarded.response.status).toBe(409);
    const later = stream.find(
      (event) => event.type === 'switchboard.message.received' && event.data.channel === 'sms',
    );
    expect(later?.data && 'contactId' in later.data ? later.data.contactId : undefined).toBe(surviving);
    expect(unmerged.data).toMatchObject({
      discardedContactId: discarded,
      conversationIds: [smsConversation],
    });
    expect(unmergedAgain.data).toEqual(unmerged.data);
    expect(survivingAfter).toEqual([`whatsapp:${surviving}`]);
    expect(discardedAfter).toEqual([`sms:${discarded}`]);
    const audit = stream.filter((event) => event.type.startsWith('switchboard.contact.'));
    expect(audit.map((event) => event.type)).toEqual([
      'switchboard.contact.merged',
      'switchboard.contact.unmerged',
    ]);
  }, 60_000);
});
