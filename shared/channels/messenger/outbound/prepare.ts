import { isBlank } from '#shared/channels/blank-pieces.ts';
import {
  interactiveMessages,
  isOneGraphemeOrEmpty,
  prepareAll,
  type Refusal,
  refuse,
  textMessages,
} from '#shared/channels/meta/outbound/prepare-common.ts';
import type { TextLimit } from '#shared/channels/meta/outbound/split-text.ts';
import type { OutboundInteractivePart, OutboundMediaPart, OutboundPart } from '#shared/contract/commands.ts';
import type {
  Prepared,
  PreparedMessage,
  SendPolicy,
  SendTarget,
  StoredMedia,
} from '#shared/outbound/channel-sender.ts';
import { checkStoredMedia } from '#shared/outbound/stored-media.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import {
  attachmentTypeProblem,
  MAX_QUICK_REPLIES,
  MAX_QUICK_REPLY_PAYLOAD,
  MAX_QUICK_REPLY_TITLE,
  maxAttachmentBytes,
  reactionFor,
  textLimitFor,
} from './limits.ts';

type Result = readonly PreparedMessage[] | Refusal;
type ReactionPart = Extract<OutboundPart, { type: 'reaction' }>;

interface Context {
  readonly limit: TextLimit;
  readonly endpointType: SendTarget['endpoint']['type'] | undefined;
  readonly stored: StoredMedia | undefined;
}

/** An attachment, then its caption as text (Messenger attachments carry none). */
const media = (part: OutboundMediaPart, index: number, { limit, endpointType, stored }: Context): Result => {
  const field = `parts.${index}`;
  if (part.kind === 'sticker') {
    return refuse('content_invalid', `${field}.kind`, 'Messenger takes no stickers by URL; send an image');
  }
  const storedProblem = checkStoredMedia(part, index, stored, {
    maxBytes: maxAttachmentBytes(part.kind),
    label: `${endpointType === 'facebook_page' ? 'Messenger' : 'Instagram'} ${part.kind} attachments`,
  });
  if (storedProblem !== undefined) return storedProblem;
  const storedType = stored?.[String(index)]?.contentType;
  const mimeType = storedType ?? part.mimeType;
  // A type refused names where it came from: the stored file (its key), or the part's `mimeType`.
  const typeField = storedType !== undefined ? `${field}.source.s3Key` : `${field}.mimeType`;
  const baseType = mediaTypeOf(mimeType ?? '');
  const family = baseType.split('/')[0];
  if (mimeType !== undefined && part.kind !== 'file' && family !== part.kind) {
    return refuse(
      'content_invalid',
      typeField,
      `a Messenger ${part.kind} attachment needs a ${part.kind}/* type`,
    );
  }
  const typeProblem =
    mimeType === undefined ? undefined : attachmentTypeProblem(part.kind, baseType, endpointType);
  if (typeProblem !== undefined) return refuse('content_invalid', typeField, typeProblem);
  const { caption, ...attachment } = part;
  return [
    { partIndex: index, part: attachment },
    // A blank caption is none: no blank message follows the attachment.
    ...(caption === undefined || isBlank(caption) ? [] : textMessages(index, caption, limit)),
  ];
};

const interactive = (part: OutboundInteractivePart, index: number, limit: TextLimit): Result => {
  const field = `parts.${index}`;
  if (part.list !== undefined) {
    return refuse(
      'content_invalid',
      `${field}.list`,
      `Messenger has no list messages; send up to ${MAX_QUICK_REPLIES} buttons (quick replies)`,
    );
  }
  const buttons = part.buttons ?? [];
  if (buttons.length > MAX_QUICK_REPLIES) {
    return refuse(
      'content_invalid',
      `${field}.buttons`,
      `Messenger shows at most ${MAX_QUICK_REPLIES} quick replies`,
    );
  }
  for (const [position, button] of buttons.entries()) {
    if (button.title.length > MAX_QUICK_REPLY_TITLE) {
      return refuse(
        'content_invalid',
        `${field}.buttons.${position}.title`,
        `a quick reply title holds at most ${MAX_QUICK_REPLY_TITLE} characters`,
      );
    }
    if (button.id.length > MAX_QUICK_REPLY_PAYLOAD) {
      return refuse(
        'content_invalid',
        `${field}.buttons.${position}.id`,
        `a quick reply payload holds at most ${MAX_QUICK_REPLY_PAYLOAD} characters`,
      );
    }
  }
  // Quick replies ride on the last piece of a long body.
  return interactiveMessages(part, index, limit, limit);
};

/**
 * One emoji, or empty to remove it. Instagram takes ❤️ only (`reactionFor`): another emoji is refused
 * here, before any call, rather than sent as a value Meta does not document.
 */
const reaction = (part: ReactionPart, index: number, endpointType: Context['endpointType']): Result => {
  const field = `parts.${index}.emoji`;
  if (!isOneGraphemeOrEmpty(part.emoji)) {
    return refuse('content_invalid', field, 'a reaction is one emoji, or empty to remove it');
  }
  if (part.emoji !== '' && reactionFor(part.emoji, endpointType) === undefined) {
    return refuse(
      'content_invalid',
      field,
      'an Instagram reaction is ❤️ only (Meta takes "love"), or empty to remove it',
    );
  }
  return [{ partIndex: index, part }];
};

const preparePart = (part: OutboundPart, index: number, context: Context): Result => {
  const { limit } = context;
  switch (part.type) {
    case 'text':
      return textMessages(index, part.text, limit);
    case 'media':
      return media(part, index, context);
    case 'interactive':
      return interactive(part, index, limit);
    case 'reaction':
      return reaction(part, index, context.endpointType);
    case 'template':
      return refuse('content_invalid', `parts.${index}`, "templates are WhatsApp's; Messenger has none");
    case 'location':
      return refuse('content_invalid', `parts.${index}`, 'Messenger cannot send a location');
  }
};

/**
 * Command parts → Messenger messages. Outside the window (24 hours, or 7 days after a
 * click-to-Messenger ad's message) only a human agent's reply may go, with the HUMAN_AGENT tag (the
 * core sets `humanAgentTag` within 7 days of the customer's last message); the tag is chosen at
 * send time from the same policy. Pure.
 */
export const prepareMessenger = (
  parts: readonly OutboundPart[],
  policy: SendPolicy,
  target: SendTarget | undefined,
  stored?: StoredMedia,
): Prepared => {
  if (!policy.withinWindow && !policy.humanAgentTag) {
    return refuse(
      'window_closed',
      'parts.0',
      "outside Messenger's 24-hour window only a human agent may reply (HUMAN_AGENT tag, 7 days)",
    );
  }
  const context: Context = {
    limit: textLimitFor(target?.endpoint.type),
    endpointType: target?.endpoint.type,
    stored,
  };
  return prepareAll(parts, (part, index) => preparePart(part, index, context));
};
