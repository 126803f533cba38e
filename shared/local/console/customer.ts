import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  emailFrom,
  messengerFileFrom,
  messengerTextFrom,
  postSample,
  sampleOf,
  smsFrom,
  twilioMmsFrom,
  whatsappImageFrom,
  whatsappTextFrom,
} from '#shared/local/live-samples.ts';
import type { Sample } from '#shared/local/samples.ts';

/*
 * "Act as the customer": a text the developer typed in the console, a file, or a reaction to one of
 * the business's messages, posted to the hub's real webhook as the provider would post it (the
 * samples of events/, rewritten with this sender and content, and signed with the development
 * secrets). A file is one the provider simulators serve (a WhatsApp media id, a Twilio media
 * resource, a Messenger CDN link), so the hub's media fetcher copies it like a real one.
 */

const CUSTOMER_CHANNELS = ['whatsapp', 'messenger', 'sms', 'email'] as const;
type CustomerChannel = (typeof CUSTOMER_CHANNELS)[number];

/** What each provider would call the sender: a wa_id, a page-scoped id, an E.164 number, an address. */
const SENDER_RULES: Record<CustomerChannel, { readonly schema: z.ZodType; readonly hint: string }> = {
  whatsapp: { schema: z.string().regex(/^\d{6,15}$/), hint: 'a wa_id: 6 to 15 digits' },
  messenger: { schema: z.string().regex(/^\d{5,20}$/), hint: 'a page-scoped id: 5 to 20 digits' },
  sms: { schema: z.string().regex(/^\+[1-9]\d{5,14}$/), hint: 'an E.164 number: + and 6 to 15 digits' },
  email: { schema: z.email().max(254), hint: 'an e-mail address' },
};

/** What the customer sends, and the channels that carry it. */
const KIND_CHANNELS = {
  text: ['whatsapp', 'messenger', 'sms', 'email'],
  media: ['whatsapp', 'messenger', 'sms'],
  reaction: ['whatsapp', 'messenger'],
} as const satisfies Record<string, readonly CustomerChannel[]>;

export const CustomerMessageSchema = z
  .strictObject({
    channel: z.enum(CUSTOMER_CHANNELS),
    from: z.string().trim().min(1).max(254),
    /** A text, a file (with the text as its caption or body, if any) or a reaction. */
    kind: z.enum(['text', 'media', 'reaction']).default('text'),
    text: z.string().trim().max(4096).default(''),
    /** Reactions: the provider's id of the message reacted to, and the emoji. */
    targetProviderMessageId: z.string().min(1).max(1024).optional(),
    emoji: z.string().min(1).max(16).optional(),
  })
  .superRefine((value, context) => {
    const rule = SENDER_RULES[value.channel];
    if (!rule.schema.safeParse(value.from).success)
      context.addIssue({ code: 'custom', path: ['from'], message: `expected ${rule.hint}` });
    const channels: readonly CustomerChannel[] = KIND_CHANNELS[value.kind];
    if (!channels.includes(value.channel))
      context.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `${value.kind} goes only on ${channels.join(', ')}`,
      });
    if (value.kind === 'text' && value.text === '')
      context.addIssue({ code: 'custom', path: ['text'], message: 'a text message needs its text' });
    if (value.kind === 'reaction' && (!value.targetProviderMessageId || !value.emoji))
      context.addIssue({
        code: 'custom',
        path: ['targetProviderMessageId'],
        message: 'a reaction needs the message it reacts to and an emoji',
      });
  });
export type CustomerMessage = z.infer<typeof CustomerMessageSchema>;

type JsonPath = ReadonlyArray<string | number>;

/** Sets one value deep in a parsed sample; throws when the sample no longer has that shape. */
const setAt = (root: unknown, path: JsonPath, value: unknown): void => {
  let node: unknown = root;
  for (const [index, key] of path.entries()) {
    if (typeof node !== 'object' || node === null) throw new Error(`sample has no ${path.join('.')}`);
    const holder = node as Record<string | number, unknown>;
    if (index === path.length - 1) {
      if (!(key in holder)) throw new Error(`sample has no ${path.join('.')}`);
      holder[key] = value;
      return;
    }
    node = holder[key];
  }
};

const withJson = (sample: Sample, edits: ReadonlyArray<readonly [JsonPath, unknown]>): Sample => {
  const json: unknown = JSON.parse(sample.payload.toString('utf8'));
  for (const [path, value] of edits) setAt(json, path, value);
  return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') };
};

/**
 * The e-mail sample written now (its `Date`, the provider time the hub keeps) with its body replaced
 * by the text (UTF-8, so 8bit rather than the sample's 7bit).
 */
const withEmailBody = (sample: Sample, text: string): Sample => {
  const raw = sample.payload.toString('utf8').replace(/\r\n/g, '\n');
  const end = raw.indexOf('\n\n');
  if (end < 0) throw new Error('sample e-mail has no body');
  const headers = raw
    .slice(0, end)
    .replace(/^Date: .*$/m, `Date: ${new Date().toUTCString()}`)
    .replace(/^Content-Transfer-Encoding: .*$/m, 'Content-Transfer-Encoding: 8bit');
  return { ...sample, payload: Buffer.from(`${headers}\n\n${text}\n`.replace(/\n/g, '\r\n'), 'utf8') };
};

const freshId = (): string => randomBytes(16).toString('hex');

/** Where the simulators serve files: the Twilio API's base URL and the simulators' own (Messenger's CDN). */
export interface SimulatorUrls {
  readonly twilio: string;
  readonly baseUrl: string;
}

/** A file the simulators serve (a JPEG photo on WhatsApp, a PDF on Messenger, on MMS whatever type the simulated Twilio picks for its media SID), with the text as caption or body. */
const mediaSample = (message: CustomerMessage, id: string, simulators: SimulatorUrls): Sample => {
  switch (message.channel) {
    case 'whatsapp': {
      // The simulators serve an id that names jpg as a JPEG (shared/local/simulators/inbound-media.ts).
      const mediaId = `console-photo-jpg-${id}`;
      const image = whatsappImageFrom(message.from, id, mediaId);
      return withJson(image, [
        [['entry', 0, 'changes', 0, 'value', 'messages', 0, 'image', 'caption'], message.text],
      ]);
    }
    case 'sms':
      return withJson(twilioMmsFrom(message.from, id, [`ME${id}`], simulators.twilio), [
        [['Body'], message.text],
      ]);
    default:
      return withMessengerText(
        messengerFileFrom(message.from, id, `console-file-pdf-${id}`, simulators.baseUrl),
        message.text,
      );
  }
};

/**
 * Messenger has no captions: a file and the text typed with it arrive as two messages, each with its
 * own mid. Here they come in one webhook post, the text after the file, as Messenger may batch them.
 */
const withMessengerText = (file: Sample, text: string | undefined): Sample => {
  if (!text?.trim()) return file;
  type Item = {
    sender: unknown;
    recipient: unknown;
    timestamp: number;
    message: { mid: string; text?: string };
  };
  const json = JSON.parse(file.payload.toString('utf8')) as { entry: [{ messaging: Item[] }] };
  const [item] = json.entry[0].messaging;
  if (!item) throw new Error('Messenger file sample has no messaging item');
  json.entry[0].messaging.push({
    sender: item.sender,
    recipient: item.recipient,
    timestamp: item.timestamp + 1,
    message: { mid: `${item.message.mid}_text`, text },
  });
  return { ...file, payload: Buffer.from(JSON.stringify(json), 'utf8') };
};

/** A reaction of the customer to one of the business's messages, written now (the samples' business endpoints are the text samples'). */
const reactionSample = (message: CustomerMessage, id: string): Sample => {
  const target = message.targetProviderMessageId ?? '';
  const emoji = message.emoji ?? '';
  if (message.channel === 'whatsapp') {
    const value = ['entry', 0, 'changes', 0, 'value'] as const;
    return withJson(sampleOf('whatsapp/reaction.json'), [
      [[...value, 'contacts', 0, 'wa_id'], message.from],
      [[...value, 'messages', 0, 'from'], message.from],
      [[...value, 'messages', 0, 'id'], `wamid.${id}`],
      [[...value, 'messages', 0, 'timestamp'], String(Math.floor(Date.now() / 1000))],
      [[...value, 'messages', 0, 'reaction'], { message_id: target, emoji }],
    ]);
  }
  return withJson(sampleOf('messenger/reaction-react.json'), [
    [['entry', 0, 'messaging', 0, 'sender', 'id'], message.from],
    [['entry', 0, 'messaging', 0, 'timestamp'], Date.now()],
    [['entry', 0, 'messaging', 0, 'reaction'], { reaction: 'other', emoji, action: 'react', mid: target }],
  ]);
};

/** The provider's webhook request for the message, not signed yet. */
const customerSample = (message: CustomerMessage, simulators: SimulatorUrls | undefined): Sample => {
  const id = freshId();
  if (message.kind === 'reaction') return reactionSample(message, id);
  if (message.kind === 'media') {
    if (simulators === undefined) throw new Error('files need the provider simulators');
    return mediaSample(message, id, simulators);
  }
  switch (message.channel) {
    case 'whatsapp':
      return withJson(whatsappTextFrom(message.from, id), [
        [['entry', 0, 'changes', 0, 'value', 'messages', 0, 'text', 'body'], message.text],
      ]);
    case 'messenger':
      return withJson(messengerTextFrom(message.from, id), [
        [['entry', 0, 'messaging', 0, 'message', 'text'], message.text],
      ]);
    case 'sms':
      return withJson(smsFrom(message.from, id), [
        [['Body'], message.text],
        [['NumSegments'], '1'],
      ]);
    case 'email':
      return withEmailBody(emailFrom(message.from, `console-${id}`), message.text);
  }
};

/** Signs the message as its provider would and posts it to the hub's webhook; the webhook's HTTP status. */
export const postCustomerMessage = (
  hubBaseUrl: string,
  message: CustomerMessage,
  simulators?: SimulatorUrls,
): Promise<number> => postSample(hubBaseUrl, customerSample(message, simulators));
