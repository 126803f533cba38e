import type { OutboundMediaPart, OutboundPart } from '#shared/contract/commands.ts';
import type { Prepared } from '#shared/outbound/channel-sender.ts';

/** Between the text of two parts: a blank line. */
const PART_SEPARATOR = '\n\n';

/**
 * Media goes as a link in the body: attachments would need the bytes, which the hub does not
 * hold for an HTTPS source (and has not resolved for a payload-bucket key).
 */
const mediaText = (part: OutboundMediaPart, url: string): string =>
  [part.caption, part.filename ? `${part.filename}: ${url}` : url].filter(Boolean).join('\n');

/**
 * An e-mail is one message whatever its parts: texts and media links joined in order, a blank line
 * between parts. Templates, interactive parts, reactions and locations have no e-mail form. E-mail
 * has no customer-service window: the policy is not read.
 */
export const prepareEmailParts = (parts: readonly OutboundPart[]): Prepared => {
  const texts: string[] = [];
  for (const [partIndex, part] of parts.entries()) {
    if (part.type === 'text') {
      texts.push(part.text);
      continue;
    }
    if (part.type !== 'media') {
      return {
        ok: false,
        reason: 'content_invalid',
        field: `parts.${partIndex}.type`,
        detail: `${part.type} parts have no e-mail form`,
      };
    }
    if (!('url' in part.source)) {
      return {
        ok: false,
        reason: 'content_invalid',
        field: `parts.${partIndex}.source`,
        detail: 'e-mail sends media as an HTTPS link only',
      };
    }
    texts.push(mediaText(part, part.source.url));
  }
  return { ok: true, messages: [{ partIndex: 0, part: { type: 'text', text: texts.join(PART_SEPARATOR) } }] };
};
