import { describe, expect, it } from 'vitest';
import { createMessengerSender } from '#shared/channels/messenger/outbound/sender.ts';
import { createTwilioSender } from '#shared/channels/sms/outbound/sender.ts';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import type { OutboundMediaPart } from '#shared/contract/commands.ts';
import type { Prepared, SendPolicy } from '#shared/outbound/channel-sender.ts';

/*
 * The contract refuses a blank text part but not a blank caption: a caption of whitespace alone is
 * no caption on every channel. The file goes without it and no blank message follows (before
 * 2026-12-05 a blank caption that could not go on the file, on WhatsApp audio say, followed it as a
 * text message of spaces, which the provider refuses or shows empty; found by a review).
 */

const OPEN: SendPolicy = { withinWindow: true, humanAgentTag: false };
const graph = { graphBaseUrl: 'https://graph.example', apiVersion: 'v23.0', accessTokenFor: () => 'token' };
const twilio = {
  apiBaseUrl: 'https://api.twilio.com',
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'token',
};
const senders = {
  whatsapp: createWhatsAppSender(graph),
  messenger: createMessengerSender(graph),
  twilioWhatsApp: createTwilioSender({ ...twilio, channel: 'whatsapp' }),
  mms: createTwilioSender({ ...twilio, channel: 'sms' }),
};

const media = (kind: OutboundMediaPart['kind'], mimeType: string, caption: string): OutboundMediaPart => ({
  type: 'media',
  kind,
  mimeType,
  source: { url: `https://cdn.example/file.${mimeType.split('/')[1]}` },
  caption,
});

const shapeOf = (prepared: Prepared) =>
  prepared.ok
    ? prepared.messages.map(({ part }) =>
        part.type === 'media' ? { media: part.kind, caption: part.caption } : { type: part.type },
      )
    : prepared;

describe('a blank caption', () => {
  it('is no caption: the file alone, on WhatsApp, Messenger, WhatsApp through Twilio and MMS', () => {
    // Prepare
    const blank = ' \n\t ';
    // Act
    const shapes = {
      whatsappAudio: shapeOf(senders.whatsapp.prepare([media('audio', 'audio/mpeg', blank)], OPEN)),
      whatsappImage: shapeOf(senders.whatsapp.prepare([media('image', 'image/jpeg', blank)], OPEN)),
      messengerImage: shapeOf(senders.messenger.prepare([media('image', 'image/jpeg', blank)], OPEN)),
      twilioWhatsAppDocument: shapeOf(
        senders.twilioWhatsApp.prepare([media('file', 'application/pdf', blank)], OPEN),
      ),
      mmsImage: shapeOf(senders.mms.prepare([media('image', 'image/jpeg', blank)], OPEN)),
    };
    // Assess
    expect(shapes).toEqual({
      whatsappAudio: [{ media: 'audio', caption: undefined }],
      whatsappImage: [{ media: 'image', caption: undefined }],
      messengerImage: [{ media: 'image', caption: undefined }],
      twilioWhatsAppDocument: [{ media: 'file', caption: undefined }],
      mmsImage: [{ media: 'image', caption: undefined }],
    });
  });

  it('is also one of zero-width or filler characters alone: the file goes alone', () => {
    // Prepare: before 2026-12-06 only whitespace made a caption blank
    const invisible = '\u200B\u2060\u3164';
    // Act
    const shapes = {
      whatsappAudio: shapeOf(senders.whatsapp.prepare([media('audio', 'audio/mpeg', invisible)], OPEN)),
      messengerImage: shapeOf(senders.messenger.prepare([media('image', 'image/jpeg', invisible)], OPEN)),
      mmsImage: shapeOf(senders.mms.prepare([media('image', 'image/jpeg', invisible)], OPEN)),
    };
    // Assess
    expect(shapes).toEqual({
      whatsappAudio: [{ media: 'audio', caption: undefined }],
      messengerImage: [{ media: 'image', caption: undefined }],
      mmsImage: [{ media: 'image', caption: undefined }],
    });
  });
});
