import { isBlank } from '#shared/channels/blank-pieces.ts';
import { fileThenCaption } from '#shared/channels/whatsapp/outbound/caption.ts';
import { templateParameterProblem } from '#shared/channels/whatsapp/outbound/limits.ts';
import type { OutboundMediaPart, OutboundPart, OutboundTemplatePart } from '#shared/contract/commands.ts';
import type { Prepared, PreparedMessage, SendPolicy, StoredMedia } from '#shared/outbound/channel-sender.ts';
import { checkStoredMedia } from '#shared/outbound/stored-media.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { splitText } from './split.ts';
import { TWILIO_WHATSAPP_MEDIA } from './whatsapp-media.ts';

/** The Twilio channels one sender serves: its `prepare` is given no conversation, so it is built per channel. */
export type TwilioChannel = 'sms' | 'whatsapp';

/** Twilio Messages `Body`: at most 1,600 characters (twilio-node `MessageListInstanceCreateOptions`; error 21617). */
const TWILIO_BODY_MAX = 1600;
/**
 * Segments one SMS may take. Twilio accepts up to 1,600 characters, but past 10 segments carriers
 * may drop or reorder parts and each costs a segment: long texts become several messages of at most
 * 10 segments (GSM-7 1,530 septets, UCS-2 670 code units) instead. Twilio advises 320 characters;
 * that is advice, not enforced.
 */
const SMS_MAX_SEGMENTS = 10;
/**
 * A stored file Twilio fetches for an MMS: at most 5 MB of media (outbound.md 1.3; Twilio's accepted
 * MMS types are its own to judge). WhatsApp through Twilio has its own rules per kind (whatsapp-media.ts).
 */
const MMS_MAX_MEDIA_BYTES = 5 * 1024 * 1024;
/** The correlation id's sequence has two digits (`parseCorrelationId`): one command makes at most 100 messages. */
const MAX_PROVIDER_MESSAGES = 100;
/** A Content SID: `HX` and 32 hex digits. */
const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;
/**
 * A Content variable's key holds at most 16 characters (Twilio, "Using Variables with Content
 * Templates"); positional keys (`1`…`100`) always fit, a named one may not. Twilio refuses a longer
 * one with 21656 ("The ContentVariables Parameter is invalid").
 */
const MAX_CONTENT_VARIABLE_KEY = 16;

type Refusal = Extract<Prepared, { ok: false }>;
type PartResult = PreparedMessage[] | Refusal;

const refuse = (reason: Refusal['reason'], field: string, detail: string): Refusal => ({
  ok: false,
  reason,
  field,
  detail,
});

const splitFor = (channel: TwilioChannel, text: string): string[] =>
  splitText(
    text,
    channel === 'sms'
      ? { maxLength: TWILIO_BODY_MAX, maxSegments: SMS_MAX_SEGMENTS }
      : { maxLength: TWILIO_BODY_MAX },
  );

const textsOf = (channel: TwilioChannel, partIndex: number, text: string): PreparedMessage[] =>
  splitFor(channel, text).map((piece) => ({ partIndex, part: { type: 'text', text: piece } }));

/**
 * An MMS (US/CA numbers) goes by URL (Twilio fetches it; a stored file as a presigned URL); a long
 * caption goes on as text messages.
 */
const prepareMms = (
  part: OutboundMediaPart,
  partIndex: number,
  stored: StoredMedia | undefined,
): PartResult => {
  const storedProblem = checkStoredMedia(part, partIndex, stored, {
    maxBytes: MMS_MAX_MEDIA_BYTES,
    label: 'MMS messages',
  });
  if (storedProblem !== undefined) return storedProblem;
  // A blank caption is none: the file goes with no Body.
  const { caption, ...file } = part;
  const [first, ...rest] = caption === undefined || isBlank(caption) ? [] : splitFor('sms', caption);
  const media: OutboundMediaPart = first === undefined ? file : { ...file, caption: first };
  return [
    { partIndex, part: media },
    ...rest.map((text) => ({ partIndex, part: { type: 'text', text } as const })),
  ];
};

/**
 * WhatsApp through Twilio, by URL as an MMS but under WhatsApp's rules per kind: its types and sizes
 * (a stored file's, or the type the part gives), and WhatsApp's caption rule (`fileThenCaption`), a
 * caption shown on an image or a video only: any other follows the file as text (Twilio would pass
 * it on, to be lost or refused after `sent`).
 */
const prepareWhatsAppMedia = (
  part: OutboundMediaPart,
  partIndex: number,
  stored: StoredMedia | undefined,
): PartResult => {
  const rule = TWILIO_WHATSAPP_MEDIA[part.kind];
  const storedProblem = checkStoredMedia(part, partIndex, stored, {
    mimeTypes: rule.mimeTypes,
    maxBytes: rule.maxBytes,
    label: `WhatsApp ${part.kind} messages through Twilio`,
  });
  if (storedProblem !== undefined) return storedProblem;
  if (part.mimeType !== undefined && !rule.mimeTypes.includes(mediaTypeOf(part.mimeType))) {
    return refuse(
      'content_invalid',
      `parts.${partIndex}.mimeType`,
      `WhatsApp through Twilio takes ${part.kind} media as ${rule.mimeTypes.join(', ')} only`,
    );
  }
  return fileThenCaption(part, partIndex, rule.caption, (caption) => splitFor('whatsapp', caption));
};

const parameterCountOf = (parameters: OutboundTemplatePart['parameters']): number =>
  parameters === undefined
    ? 0
    : Array.isArray(parameters)
      ? parameters.length
      : Object.keys(parameters).length;

/**
 * Why a template's variables cannot go as ContentVariables, naming the first that cannot: a named key
 * over 16 characters, or a value WhatsApp's rule for a template parameter refuses, the Cloud API
 * path's (`templateParameterProblem`, whatsapp/outbound/limits.ts): empty (Twilio answers 21656: no
 * variable may be empty or null at send time) or blank (the template goes on to WhatsApp, which takes
 * no blank parameter), or holding a new line, a tab or more than 4 consecutive spaces (Twilio answers
 * 21656, or 92007 for an approved WhatsApp template). Refused here, before any call.
 */
const variablesProblem = (part: OutboundTemplatePart, partIndex: number): Refusal | undefined => {
  const { parameters } = part;
  if (parameters === undefined) return undefined;
  const named = !Array.isArray(parameters);
  const entries: [string, string][] = Array.isArray(parameters)
    ? parameters.map((value, position) => [String(position), value])
    : Object.entries(parameters);
  for (const [key, value] of entries) {
    const field = `parts.${partIndex}.parameters.${key}`;
    if (named && [...key].length > MAX_CONTENT_VARIABLE_KEY) {
      return refuse(
        'template_invalid',
        field,
        `a Content variable's name holds at most ${MAX_CONTENT_VARIABLE_KEY} characters`,
      );
    }
    const problem = templateParameterProblem(value);
    if (problem !== undefined) return refuse('template_invalid', field, problem);
  }
  return undefined;
};

const prepareTemplate = (
  channel: TwilioChannel,
  part: OutboundTemplatePart,
  partIndex: number,
): PartResult => {
  if (channel !== 'whatsapp') {
    return refuse('content_invalid', `parts.${partIndex}`, 'templates are sent on WhatsApp only');
  }
  if (!CONTENT_SID.test(part.name)) {
    return refuse('template_invalid', `parts.${partIndex}.name`, 'a Twilio template is a Content SID (HX…)');
  }
  // A Content template holds its header media and buttons itself; only its variables vary per send.
  const extra = part.header !== undefined ? 'header' : part.buttons !== undefined ? 'buttons' : undefined;
  if (extra !== undefined) {
    return refuse(
      'template_invalid',
      `parts.${partIndex}.${extra}`,
      `a Twilio Content template carries its own ${extra}: pass their variable values as parameters`,
    );
  }
  if (part.parameterCount !== undefined && part.parameterCount !== parameterCountOf(part.parameters)) {
    return refuse(
      'template_invalid',
      `parts.${partIndex}.parameters`,
      `the template has ${part.parameterCount} parameters, ${parameterCountOf(part.parameters)} given`,
    );
  }
  return variablesProblem(part, partIndex) ?? [{ partIndex, part }];
};

const preparePart = (
  channel: TwilioChannel,
  part: OutboundPart,
  partIndex: number,
  stored: StoredMedia | undefined,
): PartResult => {
  switch (part.type) {
    case 'text':
      return textsOf(channel, partIndex, part.text);
    case 'media':
      return channel === 'whatsapp'
        ? prepareWhatsAppMedia(part, partIndex, stored)
        : prepareMms(part, partIndex, stored);
    case 'template':
      return prepareTemplate(channel, part, partIndex);
    default:
      // Interactive messages, locations and reactions exist on Twilio only as Content templates
      // (twilio/quick-reply, twilio/list-picker, twilio/location): send those as templates.
      return refuse(
        'content_invalid',
        `parts.${partIndex}.type`,
        `${part.type} parts are not sent through Twilio; use a Content template`,
      );
  }
};

/**
 * A command's parts as Twilio messages, in order. WhatsApp outside the customer-service window
 * takes templates only (free-form fails there with 63016); SMS has no window.
 */
export const prepareTwilioParts = (
  channel: TwilioChannel,
  parts: readonly OutboundPart[],
  policy: SendPolicy,
  stored?: StoredMedia,
): Prepared => {
  const messages: PreparedMessage[] = [];
  for (const [partIndex, part] of parts.entries()) {
    if (channel === 'whatsapp' && !policy.withinWindow && part.type !== 'template') {
      return refuse(
        'window_closed',
        `parts.${partIndex}`,
        'outside the WhatsApp 24-hour window only templates may be sent',
      );
    }
    const prepared = preparePart(channel, part, partIndex, stored);
    if (!Array.isArray(prepared)) return prepared;
    messages.push(...prepared);
  }
  if (messages.length > MAX_PROVIDER_MESSAGES) {
    return refuse(
      'content_invalid',
      'parts',
      `the parts make ${messages.length} messages, more than ${MAX_PROVIDER_MESSAGES}`,
    );
  }
  return { ok: true, messages };
};
