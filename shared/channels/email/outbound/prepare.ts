import type { OutboundMediaPart, OutboundPart } from '#shared/contract/commands.ts';
import type { Prepared, StoredMedia } from '#shared/outbound/channel-sender.ts';

/** Between the text of two parts: a blank line. */
const PART_SEPARATOR = '\n\n';

const MIB = 1024 * 1024;

/**
 * The most a reply may attach, in bytes before encoding: base64 with line breaks makes about 1.37
 * times as many, and the message must stay under the provider's limit with its text and headers:
 * SES v2 40 MB per message, Mailgun 25 MB (outbound.md 1.4).
 */
export const MAX_ATTACHMENT_BYTES = { ses: 27 * MIB, mailgun: 17 * MIB } as const;

/** A media link in the body: the provider never fetches it, the customer's client shows the link. */
const mediaText = (part: OutboundMediaPart, url: string): string =>
  [part.caption, part.filename ? `${part.filename}: ${url}` : url].filter(Boolean).join('\n');

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/** Plain text as HTML: paragraphs at blank lines, line breaks kept, everything escaped. */
const textAsHtml = (text: string): string =>
  text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replaceAll('\n', '<br>')}</p>`)
    .join('\n');

const mediaHtml = (part: OutboundMediaPart, url: string): string =>
  `${part.caption ? textAsHtml(part.caption) : ''}<p><a href="${escapeHtml(url)}">${escapeHtml(part.filename ?? url)}</a></p>`;

const refuse = (field: string, detail: string): Extract<Prepared, { ok: false }> => ({
  ok: false,
  reason: 'content_invalid',
  field,
  detail,
});

/**
 * An e-mail is one message whatever its parts: texts, media links and captions joined in order
 * (a blank line between parts), and files from the hub's bucket attached, together at most
 * `maxAttachmentBytes`. When a text part brings its own HTML, the reply also gets an HTML
 * alternative: those parts' HTML, the others' text escaped into paragraphs, media as links. Templates, interactive parts, reactions and locations have no e-mail form.
 * E-mail has no customer-service window: the policy is not read.
 */
export const prepareEmailParts = (
  parts: readonly OutboundPart[],
  stored: StoredMedia | undefined,
  maxAttachmentBytes: number,
): Prepared => {
  const texts: string[] = [];
  /** The same parts as HTML, used when any text part brought its own. */
  const htmls: string[] = [];
  let hasHtml = false;
  const attachParts: number[] = [];
  let attachedBytes = 0;
  for (const [partIndex, part] of parts.entries()) {
    if (part.type === 'text') {
      texts.push(part.text);
      htmls.push(part.html ?? textAsHtml(part.text));
      hasHtml ||= part.html !== undefined;
      continue;
    }
    if (part.type !== 'media')
      return refuse(`parts.${partIndex}.type`, `${part.type} parts have no e-mail form`);
    if ('url' in part.source) {
      texts.push(mediaText(part, part.source.url));
      htmls.push(mediaHtml(part, part.source.url));
      continue;
    }
    const facts = stored?.[String(partIndex)];
    if (facts === undefined)
      return refuse(`parts.${partIndex}.source.s3Key`, 'the stored file was not looked up');
    attachedBytes += facts.bytes;
    if (attachedBytes > maxAttachmentBytes) {
      return refuse(
        `parts.${partIndex}.source.s3Key`,
        `an e-mail through this provider attaches at most ${maxAttachmentBytes / MIB} MiB of files in all`,
      );
    }
    attachParts.push(partIndex);
    if (part.caption) {
      texts.push(part.caption);
      htmls.push(textAsHtml(part.caption));
    }
  }
  return {
    ok: true,
    messages: [
      {
        partIndex: 0,
        part: {
          type: 'text',
          text: texts.join(PART_SEPARATOR),
          ...(hasHtml ? { html: htmls.join('\n') } : {}),
        },
        ...(attachParts.length > 0 ? { attachParts } : {}),
      },
    ],
  };
};
