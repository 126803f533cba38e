import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioRedactor } from '#shared/channels/sms/outbound/redact.ts';
import { listedRequests, type Rig, secrets, startRig, TWILIO_MAIN_LOGIN } from './support.ts';

/*
 * The Twilio simulator keeps the messages it sent (a Media resource per MediaUrl) and those a test
 * says it received, and plays the Message resource's redaction and its Media: what an erasure does
 * at Twilio is visible in `twilioMessages()` and at `GET /_local/providers/twilio/messages`.
 */

const ACCOUNT_SID = `AC${'0a1b2c3d'.repeat(4)}`;
const OTHER_ACCOUNT = `AC${'9f8e7d6c'.repeat(4)}`;
const INBOUND_SID = `SM${'1234abcd'.repeat(4)}`;

describe('Twilio simulator: message redaction and media', () => {
  let rig: Rig;
  const messagesUrl = () => `${rig.simulators.urls.twilio}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages`;
  const send = async (fields: [string, string][]) => {
    const response = await fetch(`${messagesUrl()}.json`, {
      method: 'POST',
      headers: {
        authorization: TWILIO_MAIN_LOGIN,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams([['To', '+14155550123'], ['From', '+14155550100'], ...fields]),
    });
    return ((await response.json()) as { sid: string }).sid;
  };
  const call = (method: string, path: string, body?: string, authorization = TWILIO_MAIN_LOGIN) =>
    fetch(`${messagesUrl()}${path}`, {
      method,
      headers: {
        authorization,
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('keeps a sent message with a Media resource per MediaUrl; Body= empties it, the media list and DELETE remove its media', async () => {
    // Prepare
    const sid = await send([
      ['Body', 'Your invoice'],
      ['MediaUrl', 'https://example.com/a.pdf'],
      ['MediaUrl', 'https://example.com/b.png'],
    ]);
    const [kept] = rig.simulators.twilioMessages();
    // Act
    const redacted = await call('POST', `/${sid}.json`, 'Body=');
    const listed = (await (await call('GET', `/${sid}/Media.json?PageSize=100`)).json()) as {
      media_list: { sid: string; parent_sid: string }[];
      next_page_uri: string | null;
    };
    const deletes = [];
    for (const medium of listed.media_list)
      deletes.push((await call('DELETE', `/${sid}/Media/${medium.sid}.json`)).status);
    const again = await call('DELETE', `/${sid}/Media/${listed.media_list[0]?.sid}.json`);
    const admin = (await (
      await fetch(`${rig.simulators.baseUrl}/_local/providers/twilio/messages`)
    ).json()) as unknown[];
    // Assess
    expect(kept).toMatchObject({
      sid,
      accountSid: ACCOUNT_SID,
      direction: 'outbound-api',
      body: 'Your invoice',
    });
    expect(kept?.media).toHaveLength(2);
    expect(redacted.status).toBe(200);
    expect(await redacted.json()).toMatchObject({ sid, body: '', num_media: '2' });
    expect(listed.media_list.map((medium) => medium.sid)).toEqual(kept?.media);
    expect(listed.media_list.every((medium) => medium.parent_sid === sid)).toBe(true);
    expect(listed.next_page_uri).toBeNull();
    expect(deletes).toEqual([204, 204]);
    expect(again.status).toBe(404);
    expect(rig.simulators.twilioMessages()).toEqual([
      expect.objectContaining({ sid, body: '', media: [], redactedAt: expect.any(String) }),
    ]);
    expect(admin).toEqual(rig.simulators.twilioMessages());
    expect((await listedRequests(rig)).map((request) => request.method)).toEqual([
      'POST',
      'POST',
      'GET',
      'DELETE',
      'DELETE',
      'DELETE',
    ]);
  });

  it('answers 404 for a message it does not hold or another account asks for, 401 without credentials, 400 for a Body that is not empty', async () => {
    // Prepare
    rig.simulators.keepTwilioMessage({
      accountSid: ACCOUNT_SID,
      sid: INBOUND_SID,
      direction: 'inbound',
      body: 'my card number is …',
      mediaContentTypes: ['image/jpeg'],
    });
    const unknownSid = `SM${'0'.repeat(32)}`;
    // Act
    const unknown = await call('POST', `/${unknownSid}.json`, 'Body=');
    const otherAccount = await fetch(
      `${rig.simulators.urls.twilio}/2010-04-01/Accounts/${OTHER_ACCOUNT}/Messages/${INBOUND_SID}.json`,
      {
        method: 'POST',
        headers: {
          authorization: TWILIO_MAIN_LOGIN,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'Body=',
      },
    );
    const anonymous = await call('POST', `/${INBOUND_SID}.json`, 'Body=', 'Basic ');
    const rewrite = await call('POST', `/${INBOUND_SID}.json`, 'Body=something+else');
    // Assess
    expect([unknown.status, otherAccount.status, anonymous.status, rewrite.status]).toEqual([
      404, 404, 401, 400,
    ]);
    expect(await rewrite.json()).toMatchObject({ code: 30400 });
    expect(rig.simulators.twilioMessages()).toEqual([
      expect.objectContaining({ sid: INBOUND_SID, body: 'my card number is …', media: [expect.any(String)] }),
    ]);
  });

  it("is what the hub's Twilio redactor expects: a kept inbound message ends with an empty body and no media", async () => {
    // Prepare
    rig.simulators.keepTwilioMessage({
      accountSid: ACCOUNT_SID,
      sid: INBOUND_SID,
      direction: 'inbound',
      body: 'a photo of my passport',
      mediaContentTypes: ['image/jpeg', 'image/jpeg'],
    });
    const redactor = createTwilioRedactor({
      apiBaseUrl: rig.simulators.urls.twilio,
      // The main account's login, as the hub's erasure makes it (ACCOUNT_SID is its subaccount here).
      credentials: {
        login: { username: secrets.twilio.accountSid ?? '', password: secrets.twilio.authToken },
      },
      timeoutMs: 2_000,
      attempts: 1,
      remainingMs: () => 5_000,
    });
    // Act
    const result = await redactor.redact({ accountSid: ACCOUNT_SID, sid: INBOUND_SID });
    // Assess
    expect(result).toEqual({ kind: 'redacted', media: 2 });
    expect(rig.simulators.twilioMessages()).toEqual([
      expect.objectContaining({ sid: INBOUND_SID, body: '', media: [] }),
    ]);
  });
});
