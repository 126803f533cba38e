import {
  firstRepeat,
  interactiveMessages,
  isOneGraphemeOrEmpty,
  type Refusal,
  refuse,
  textMessages,
} from '#shared/channels/meta/outbound/prepare-common.ts';
import { splitText } from '#shared/channels/meta/outbound/split-text.ts';
import type {
  OutboundInteractivePart,
  OutboundMediaPart,
  OutboundPart,
  OutboundTemplateButton,
  OutboundTemplateHeader,
  OutboundTemplatePart,
} from '#shared/contract/commands.ts';
import type { PreparedMessage, StoredMedia } from '#shared/outbound/channel-sender.ts';
import { checkStoredMedia } from '#shared/outbound/stored-media.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { fileThenCaption } from './caption.ts';
import {
  INTERACTIVE_BODY,
  MAX_BUTTON_ID,
  MAX_BUTTON_TITLE,
  MAX_BUTTONS,
  MAX_COUPON_CODE,
  MAX_LIST_BUTTON,
  MAX_LIST_ROWS,
  MAX_QUICK_REPLY_PAYLOAD,
  MAX_ROW_DESCRIPTION,
  MAX_ROW_ID,
  MAX_ROW_TITLE,
  MAX_SECTION_TITLE,
  MAX_TEMPLATE_BUTTONS,
  MAX_TEMPLATE_HEADER_TEXT,
  MAX_URL_BUTTON_SUFFIX,
  MEDIA_RULES,
  PARAMETER_NAME,
  TEMPLATE_NAME,
  TEXT,
  templateParameterProblem,
} from './limits.ts';

type Result = readonly PreparedMessage[] | Refusal;

const media = (part: OutboundMediaPart, index: number, stored: StoredMedia | undefined): Result => {
  const field = `parts.${index}`;
  const rule = MEDIA_RULES[part.kind];
  const storedProblem = checkStoredMedia(part, index, stored, {
    mimeTypes: rule.mimeTypes,
    maxBytes: rule.maxBytes,
    label: `WhatsApp ${part.kind} messages`,
  });
  if (storedProblem !== undefined) return storedProblem;
  if (part.mimeType !== undefined && !rule.mimeTypes.includes(mediaTypeOf(part.mimeType))) {
    return refuse(
      'content_invalid',
      `${field}.mimeType`,
      `WhatsApp takes ${part.kind} media as ${rule.mimeTypes.join(', ')} only`,
    );
  }
  // A caption on audio or a sticker, or one over 1,024 characters, follows the file as text.
  return fileThenCaption(part, index, rule.caption, (caption) => splitText(caption, TEXT));
};

/** What a template header's stored file must be: the rule of a media message of that kind. */
const HEADER_MEDIA_KIND = { image: 'image', video: 'video', document: 'file' } as const;

const storedHeaderProblem = (
  part: OutboundTemplatePart,
  index: number,
  stored: StoredMedia | undefined,
): Refusal | undefined => {
  const header = part.header;
  if (header === undefined || !(header.type in HEADER_MEDIA_KIND)) return undefined;
  const kind = HEADER_MEDIA_KIND[header.type as keyof typeof HEADER_MEDIA_KIND];
  const rule = MEDIA_RULES[kind];
  return checkStoredMedia(part, index, stored, {
    mimeTypes: rule.mimeTypes,
    maxBytes: rule.maxBytes,
    label: `WhatsApp template ${header.type} headers`,
  });
};

const template = (part: OutboundTemplatePart, index: number, stored: StoredMedia | undefined): Result => {
  const field = `parts.${index}`;
  if (!TEMPLATE_NAME.test(part.name)) {
    return refuse(
      'template_invalid',
      `${field}.name`,
      'template names are lower-case letters, digits and underscores',
    );
  }
  const parameters = part.parameters ?? [];
  const entries: [string, string][] = Array.isArray(parameters)
    ? parameters.map((value, position) => [String(position), value])
    : Object.entries(parameters);
  if (part.parameterCount !== undefined && part.parameterCount !== entries.length) {
    return refuse(
      'template_invalid',
      `${field}.parameters`,
      `the template has ${part.parameterCount} body parameters, the command gives ${entries.length}`,
    );
  }
  for (const [key, value] of entries) {
    if (!Array.isArray(parameters) && !PARAMETER_NAME.test(key)) {
      return refuse(
        'template_invalid',
        `${field}.parameters`,
        'named parameters are lower-case letters, digits and underscores',
      );
    }
    const problem = templateParameterProblem(value);
    if (problem !== undefined) return refuse('template_invalid', `${field}.parameters.${key}`, problem);
  }
  const named = part.parameters !== undefined && !Array.isArray(part.parameters);
  const positional = Array.isArray(part.parameters) && part.parameters.length > 0;
  const problem =
    storedHeaderProblem(part, index, stored) ??
    (part.header === undefined
      ? undefined
      : headerProblem(part.header, `${field}.header`, { named, positional })) ??
    (part.buttons === undefined ? undefined : templateButtonsProblem(part.buttons, `${field}.buttons`));
  return problem ?? [{ partIndex: index, part }];
};

/** A text header's parameter follows the body's syntax: named when the body is, positional when it is. */
const headerProblem = (
  header: OutboundTemplateHeader,
  field: string,
  body: { readonly named: boolean; readonly positional: boolean },
): Refusal | undefined => {
  if (header.type !== 'text') return undefined;
  if (header.text.length > MAX_TEMPLATE_HEADER_TEXT) {
    return refuse(
      'template_invalid',
      `${field}.text`,
      `a template header holds at most ${MAX_TEMPLATE_HEADER_TEXT} characters`,
    );
  }
  const problem = templateParameterProblem(header.text);
  if (problem !== undefined) return refuse('template_invalid', `${field}.text`, problem);
  if (header.parameterName === undefined) {
    return body.named
      ? refuse(
          'template_invalid',
          `${field}.parameterName`,
          'a named template names its header parameter too',
        )
      : undefined;
  }
  if (body.positional) {
    return refuse(
      'template_invalid',
      `${field}.parameterName`,
      'the body parameters are positional: the header parameter takes no name',
    );
  }
  return PARAMETER_NAME.test(header.parameterName)
    ? undefined
    : refuse(
        'template_invalid',
        `${field}.parameterName`,
        'named parameters are lower-case letters, digits and underscores',
      );
};

/** Each value's own limit: the field holding it, its length, the most it may hold, what to say. */
const buttonValue = (button: OutboundTemplateButton): [string, string, number, string] => {
  switch (button.type) {
    case 'quick_reply':
      return ['payload', button.payload, MAX_QUICK_REPLY_PAYLOAD, 'a quick reply payload'];
    case 'url':
      return ['text', button.text, MAX_URL_BUTTON_SUFFIX, "a URL button's suffix"];
    case 'copy_code':
      return ['couponCode', button.couponCode, MAX_COUPON_CODE, 'a coupon code'];
  }
};

const templateButtonsProblem = (
  buttons: readonly OutboundTemplateButton[],
  field: string,
): Refusal | undefined => {
  if (buttons.length > MAX_TEMPLATE_BUTTONS) {
    return refuse('template_invalid', field, `a template has at most ${MAX_TEMPLATE_BUTTONS} buttons`);
  }
  for (const [position, button] of buttons.entries()) {
    const at = `${field}.${position}`;
    if (button.index >= MAX_TEMPLATE_BUTTONS) {
      return refuse(
        'template_invalid',
        `${at}.index`,
        `a button's index is its position in the template, 0 to ${MAX_TEMPLATE_BUTTONS - 1}`,
      );
    }
    const [name, value, max, label] = buttonValue(button);
    if (value.length > max) {
      return refuse('template_invalid', `${at}.${name}`, `${label} holds at most ${max} characters`);
    }
    if (button.type === 'url') {
      const problem = templateParameterProblem(value);
      if (problem !== undefined) return refuse('template_invalid', `${at}.${name}`, problem);
    }
  }
  const repeated = firstRepeat(buttons.map((button) => String(button.index)));
  if (repeated !== undefined) {
    return refuse(
      'template_invalid',
      `${field}.${repeated}.index`,
      'each button takes one value: indexes must differ',
    );
  }
  const copyCodes = buttons.filter((button) => button.type === 'copy_code');
  return copyCodes.length > 1
    ? refuse('template_invalid', field, 'a template has one copy-code button at most')
    : undefined;
};

const buttonsProblem = (
  buttons: NonNullable<OutboundInteractivePart['buttons']>,
  field: string,
): Refusal | undefined => {
  if (buttons.length > MAX_BUTTONS) {
    return refuse(
      'content_invalid',
      `${field}.buttons`,
      `WhatsApp shows at most ${MAX_BUTTONS} reply buttons; send a list for up to ${MAX_LIST_ROWS} choices`,
    );
  }
  for (const [position, button] of buttons.entries()) {
    if (button.title.length > MAX_BUTTON_TITLE) {
      return refuse(
        'content_invalid',
        `${field}.buttons.${position}.title`,
        `a reply button title holds at most ${MAX_BUTTON_TITLE} characters`,
      );
    }
    if (button.id.length > MAX_BUTTON_ID) {
      return refuse(
        'content_invalid',
        `${field}.buttons.${position}.id`,
        `a reply button id holds at most ${MAX_BUTTON_ID} characters`,
      );
    }
  }
  const repeatedId = firstRepeat(buttons.map((button) => button.id));
  const repeated = repeatedId ?? firstRepeat(buttons.map((button) => button.title));
  if (repeated !== undefined) {
    return refuse(
      'content_invalid',
      `${field}.buttons.${repeated}`,
      'reply button ids and titles must differ',
    );
  }
  return undefined;
};

const listProblem = (
  list: NonNullable<OutboundInteractivePart['list']>,
  field: string,
): Refusal | undefined => {
  if (list.button.length > MAX_LIST_BUTTON) {
    return refuse(
      'content_invalid',
      `${field}.list.button`,
      `the list button holds at most ${MAX_LIST_BUTTON} characters`,
    );
  }
  const rows = list.sections.flatMap((section) => section.rows);
  if (rows.length > MAX_LIST_ROWS) {
    return refuse(
      'content_invalid',
      `${field}.list.sections`,
      `a WhatsApp list holds at most ${MAX_LIST_ROWS} rows across its sections`,
    );
  }
  for (const [s, section] of list.sections.entries()) {
    const at = `${field}.list.sections.${s}`;
    if (list.sections.length > 1 && !section.title) {
      return refuse('content_invalid', `${at}.title`, 'every section needs a title when there are several');
    }
    if (section.title !== undefined && section.title.length > MAX_SECTION_TITLE) {
      return refuse(
        'content_invalid',
        `${at}.title`,
        `a section title holds at most ${MAX_SECTION_TITLE} characters`,
      );
    }
    for (const [r, row] of section.rows.entries()) {
      const limits: [string, number, number][] = [
        ['id', row.id.length, MAX_ROW_ID],
        ['title', row.title.length, MAX_ROW_TITLE],
        ['description', row.description?.length ?? 0, MAX_ROW_DESCRIPTION],
      ];
      for (const [name, length, max] of limits) {
        if (length > max) {
          return refuse(
            'content_invalid',
            `${at}.rows.${r}.${name}`,
            `a row ${name} holds at most ${max} characters`,
          );
        }
      }
    }
  }
  const repeated = firstRepeat(rows.map((row) => row.id));
  return repeated === undefined
    ? undefined
    : refuse('content_invalid', `${field}.list.sections`, 'list row ids must differ');
};

const interactive = (part: OutboundInteractivePart, index: number): Result => {
  const field = `parts.${index}`;
  const problem = part.buttons
    ? buttonsProblem(part.buttons, field)
    : part.list
      ? listProblem(part.list, field)
      : undefined;
  if (problem !== undefined) return problem;
  // A body longer than WhatsApp takes beside buttons goes first as text; the end carries them.
  return interactiveMessages(part, index, INTERACTIVE_BODY, TEXT);
};

/** One command part as WhatsApp messages, or why not. */
export const prepareWhatsAppPart = (
  part: OutboundPart,
  index: number,
  stored: StoredMedia | undefined,
): Result => {
  switch (part.type) {
    case 'text':
      return textMessages(index, part.text, TEXT);
    case 'media':
      return media(part, index, stored);
    case 'template':
      return template(part, index, stored);
    case 'interactive':
      return interactive(part, index);
    case 'reaction':
      return isOneGraphemeOrEmpty(part.emoji)
        ? [{ partIndex: index, part }]
        : refuse('content_invalid', `parts.${index}.emoji`, 'a reaction is one emoji, or empty to remove it');
    case 'location':
      return [{ partIndex: index, part }];
  }
};
