import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  emailFrom,
  messengerTextFrom,
  postSample,
  smsFrom,
  whatsappTextFrom,
} from '#shared/local/live-samples.ts';
import type { Sample } from '#shared/local/samples.ts';

/*
 * "Act as the customer": a text the developer typed in the console, posted to the hub's real webhook
 * as the provider would post it (the samples of events/, rewritten with this sender and text, and
 * signed with the development secrets).
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

export const CustomerMessageSchema = z
  .strictObject({
    channel: z.enum(CUSTOMER_CHANNELS),
    from: z.string().trim().min(1).max(254),
    text: z.string().trim().min(1).max(4096),
  })
  .superRefine((value, context) => {
    const rule = SENDER_RULES[value.channel];
    if (!rule.schema.safeParse(value.from).success)
      context.addIssue({ code: 'custom', path: ['from'], message: `expected ${rule.hint}` });
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

/** The provider's webhook request for the message, not signed yet. */
const customerSample = (message: CustomerMessage): Sample => {
  const id = freshId();
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
export const postCustomerMessage = (hubBaseUrl: string, message: CustomerMessage): Promise<number> =>
  postSample(hubBaseUrl, customerSample(message));
