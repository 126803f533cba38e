import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  announcedSha256,
  HUGE_MEDIA_BYTES,
  inboundMedia,
  inboundMediaBytes,
  messengerAttachmentUrl,
  SLOW_MEDIA_DELAY_MS,
} from '#shared/local/simulators/inbound-media.ts';
import { graphErrorOf, type Rig, secrets, startRig, TWILIO_MAIN_LOGIN } from './support.ts';

/*
 * Media customers send, served by the simulators as the providers serve it: WhatsApp's lookup and
 * download with the Bearer token, Twilio's media URL with Basic auth, Messenger's CDN URL as it is;
 * the bytes made up from the id, and words in the id for the faults.
 */

const AUTH = { authorization: `Bearer ${secrets.meta.accessToken}` };
const ACCOUNT_SID = `AC${'0a1b2c3d'.repeat(4)}`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const LookupSchema = z.strictObject({
  messaging_product: z.literal('whatsapp'),
  url: z.url(),
  mime_type: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  file_size: z.string(),
  id: z.string(),
});

describe('simulators: inbound media', () => {
  let rig: Rig;
  const lookup = (id: string, headers: Record<string, string> = AUTH) =>
    fetch(`${rig.simulators.urls.graph}/v21.0/${id}`, { headers });
  const twilioMediaUrl = (mediaSid: string) =>
    `${rig.simulators.urls.twilio}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM${'5'.repeat(32)}/Media/${mediaSid}`;

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('makes the same signed file from an id every time, of the type the id names', () => {
    // Prepare
    const ids = ['1482957360192834', 'png-1', 'jpeg-1', 'pdf-1'];
    // Act
    const files = ids.map((id) => ({ media: inboundMedia(id), bytes: inboundMediaBytes(id) }));
    // Assess
    expect(inboundMediaBytes(ids[0] ?? '').equals(files[0]?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(files.map((file) => file.media.mimeType).slice(1)).toEqual([
      'image/png',
      'image/jpeg',
      'application/pdf',
    ]);
    expect(files[1]?.bytes.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
    expect(files[2]?.bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(files[3]?.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    for (const file of files) expect(file.bytes.length).toBe(file.media.size);
    // Whole pictures (the console's browser test draws them): a 32×32 PNG ending in IEND, a JPEG
    // ending in its end-of-image marker.
    expect(files[1]?.bytes.readUInt32BE(16)).toBe(32);
    expect(files[1]?.bytes.subarray(-8, -4).toString('latin1')).toBe('IEND');
    expect(files[2]?.bytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(announcedSha256('png-1')).toBe(sha256(files[1]?.bytes ?? Buffer.alloc(0)));
  });

  it('WhatsApp: looks an inbound id up as Meta documents it and serves its bytes with the token only', async () => {
    // Prepare
    const id = '7712345678901234';
    const expected = inboundMediaBytes(id);
    // Act
    const withoutToken = await lookup(id, {});
    const info = LookupSchema.parse(await (await lookup(id)).json());
    const downloadWithoutToken = await fetch(info.url);
    const download = await fetch(info.url, { headers: AUTH });
    const bytes = Buffer.from(await download.arrayBuffer());
    // Assess
    expect(withoutToken.status).toBe(401);
    expect(info).toMatchObject({
      id,
      mime_type: inboundMedia(id).mimeType,
      file_size: String(expected.length),
      sha256: sha256(expected),
    });
    expect(downloadWithoutToken.status).toBe(401);
    expect(download.headers.get('content-type')).toBe(inboundMedia(id).mimeType);
    expect(bytes.equals(expected)).toBe(true);
  });

  it('WhatsApp: an expired id answers error 100/33; a checksum id announces a digest the bytes do not have', async () => {
    // Act
    const expired = await lookup('expired-1');
    const info = LookupSchema.parse(await (await lookup('checksum-1')).json());
    const bytes = Buffer.from(await (await fetch(info.url, { headers: AUTH })).arrayBuffer());
    // Assess
    expect(expired.status).toBe(400);
    expect(await graphErrorOf(expired)).toMatchObject({ code: 100, error_subcode: 33 });
    expect(info.sha256).toBe(announcedSha256('checksum-1'));
    expect(sha256(bytes)).not.toBe(info.sha256);
    expect(bytes.equals(inboundMediaBytes('checksum-1'))).toBe(true);
  });

  it('WhatsApp: a huge id is a 100 MB document, streamed', async () => {
    // Act
    const info = LookupSchema.parse(await (await lookup('huge-1')).json());
    const download = await fetch(info.url, { headers: AUTH });
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    // Assess
    expect(info).toMatchObject({ mime_type: 'application/pdf', file_size: String(HUGE_MEDIA_BYTES) });
    expect(download.headers.get('content-length')).toBe(String(HUGE_MEDIA_BYTES));
    expect(size).toBe(HUGE_MEDIA_BYTES);
    expect(hash.digest('hex')).toBe(info.sha256);
  }, 60_000);

  it('Twilio: the media URL serves the bytes with Basic auth as the account, 404 for an expired one', async () => {
    // Prepare
    const mediaSid = `ME${'ab12'.repeat(8)}`;
    // Act
    const anonymous = await fetch(twilioMediaUrl(mediaSid));
    const download = await fetch(twilioMediaUrl(mediaSid), {
      headers: { authorization: TWILIO_MAIN_LOGIN },
    });
    const bytes = Buffer.from(await download.arrayBuffer());
    const expired = await fetch(twilioMediaUrl('MEexpired'), {
      headers: { authorization: TWILIO_MAIN_LOGIN },
    });
    // Assess
    expect(anonymous.status).toBe(401);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe(inboundMedia(mediaSid).mimeType);
    expect(bytes.equals(inboundMediaBytes(mediaSid))).toBe(true);
    expect(expired.status).toBe(404);
    expect(await expired.json()).toMatchObject({ code: 20404 });
  });

  it('Messenger: the attachment URL serves the bytes as it is; a slow one waits, an expired one is refused', async () => {
    // Act
    const download = await fetch(messengerAttachmentUrl(rig.simulators.baseUrl, 'pdf-file', 'claim.pdf'));
    const bytes = Buffer.from(await download.arrayBuffer());
    const slow = await fetch(messengerAttachmentUrl(rig.simulators.baseUrl, 'slow-png'));
    await slow.arrayBuffer();
    const expired = await fetch(messengerAttachmentUrl(rig.simulators.baseUrl, 'expired-jpeg'));
    // Assess
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(bytes.equals(inboundMediaBytes('pdf-file'))).toBe(true);
    expect(slow.status).toBe(200);
    expect(rig.simulators.requests()[1]?.response.delayedMs).toBe(SLOW_MEDIA_DELAY_MS);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toBe('URL signature expired');
  });
});
