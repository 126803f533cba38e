import { domainToASCII } from 'node:url';
import type { OutboundMediaPart, OutboundPart } from '#shared/contract/commands.ts';
import type { Provider } from '#shared/contract/types.ts';
import type { Prepared, SendTarget, StoredMedia, StoredMediaFacts } from '#shared/outbound/channel-sender.ts';
import { outgoingNameOf, storedFileOf } from '#shared/outbound/stored-media.ts';
import { isPlainAddress } from './address.ts';

/** Between the text of two parts: a blank line. */
const PART_SEPARATOR = '\n\n';

const MIB = 1024 * 1024;

/**
 * The most a reply may attach, in bytes before encoding: base64 with line breaks makes about 1.37
 * times as many, and the message must stay under the provider's limit with its text and headers:
 * SES v2 40 MB per message, Mailgun 25 MB (outbound.md 1.4).
 */
export const MAX_ATTACHMENT_BYTES = { ses: 27 * MIB, mailgun: 17 * MIB } as const;

export type EmailProvider = Extract<Provider, 'ses' | 'mailgun'>;

/**
 * The extensions (lower case, no dot) of attachments SES refuses: it rejects the whole message
 * (`MessageRejected`), its text too, so the hub refuses such a file before the call. "Amazon SES
 * unsupported attachment types", https://docs.aws.amazon.com/ses/latest/dg/mime-types.html (as of
 * 2026-12); AWS asks senders to check back for changes. Mailgun documents no such list.
 */
const SES_REFUSED_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its js ' +
    'jse ksh lib lnk mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz msc msh msh1 ' +
    'msh2 mshxml msh1xml msh2xml msi msp mst ops pcd pif plg prf prg reg scf scr sct shb shs sys ps1 ' +
    'ps1xml ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps vsmacros vss vst vsw vxd ws wsc wsf wsh xnk'
  ).split(' '),
);

/** What one provider takes, beyond what e-mail itself allows. */
interface EmailRules {
  /** How the provider reads in a refusal. */
  readonly label: string;
  readonly maxAttachmentBytes: number;
  /**
   * Whether it sends to an address whose local part is not ASCII (SMTPUTF8, RFC 6531). SES does not
   * ("Amazon SES does not support the SMTPUTF8 extension", SES v2 API reference, `Destination`);
   * Mailgun does on its HTTP API
   * (https://documentation.mailgun.com/docs/mailgun/user-manual/internationalization).
   */
  readonly smtpUtf8: boolean;
  readonly refusedExtensions: ReadonlySet<string>;
}

const RULES: Readonly<Record<EmailProvider, EmailRules>> = {
  ses: {
    label: 'SES',
    maxAttachmentBytes: MAX_ATTACHMENT_BYTES.ses,
    smtpUtf8: false,
    refusedExtensions: SES_REFUSED_EXTENSIONS,
  },
  mailgun: {
    label: 'Mailgun',
    maxAttachmentBytes: MAX_ATTACHMENT_BYTES.mailgun,
    smtpUtf8: true,
    refusedExtensions: new Set(),
  },
};

/** The contact's address as a provider is given it, or why it cannot be (in words without the address). */
export type EmailRecipient =
  | { readonly ok: true; readonly address: string }
  | { readonly ok: false; readonly detail: string };

const NON_ASCII = /\P{ASCII}/u;
/**
 * An ASCII character a domain name cannot hold (anything but letters, digits, `-` and `.`). Checked
 * before `domainToASCII`, which parses a URL host: it would cut `müller.de/x` or `münchen#.de` at the
 * delimiter and decode `%41`, sending to a domain the address does not name.
 */
const NOT_IN_A_DOMAIN = /[^\P{ASCII}A-Za-z0-9.-]/u;

/**
 * The address the reply goes to (the envelope recipient and the To header alike): a domain in
 * Unicode (a customer who wrote from `info@müller.de`, RFC 6532) is written in its IDNA ASCII form
 * (`info@xn--mller-kva.de`) by Node's `url.domainToASCII` (UTS #46), which both providers take and
 * SES requires. An ASCII address is left as it is. Refused: a local part not in ASCII for a provider
 * without SMTPUTF8 (Punycode is not allowed there), and a Unicode domain that has no ASCII form.
 */
export const emailRecipientFor = (provider: EmailProvider, address: string): EmailRecipient => {
  const written = writtenRecipient(provider, address);
  // An address the composer cannot write as one plain address (a quoted local part such as
  // `"john smith"@…`, kept by the parser without its quotes) is refused here, before any call,
  // as the conversation's: until 2026-12-07 it went on to fail every send as provider_error.
  return written.ok && !isPlainAddress(written.address)
    ? {
        ok: false,
        detail:
          "this conversation's address is not one plain address the hub can write (a quoted or unusual part before the @)",
      }
    : written;
};

const writtenRecipient = (provider: EmailProvider, address: string): EmailRecipient => {
  const at = address.lastIndexOf('@');
  // No `@`: not an address at all, which the MIME's own check refuses (shared/channels/email/outbound/mime.ts).
  if (at < 0 || !NON_ASCII.test(address)) return { ok: true, address };
  const rules = RULES[provider];
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!rules.smtpUtf8 && NON_ASCII.test(local)) {
    return {
      ok: false,
      detail: `${rules.label} sends only to addresses whose part before the @ is ASCII (it has no SMTPUTF8), and this conversation's is not`,
    };
  }
  if (!NON_ASCII.test(domain)) return { ok: true, address };
  const ascii = NOT_IN_A_DOMAIN.test(domain) ? '' : domainToASCII(domain);
  if (ascii === '' || ascii.split('.').includes('')) {
    return {
      ok: false,
      detail: "the domain of this conversation's address is not a valid internationalized domain name",
    };
  }
  return { ok: true, address: `${local}@${ascii}` };
};

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

type Refusal = Extract<Prepared, { ok: false }>;

const refuse = (field: string, detail: string): Refusal => ({
  ok: false,
  reason: 'content_invalid',
  field,
  detail,
});

/** The conversation's address, when the prepare is given it: one the provider cannot send to is refused. */
const recipientRefusal = (provider: EmailProvider, target: SendTarget | undefined): Refusal | undefined => {
  if (target?.recipient.type !== 'email') return undefined;
  const recipient = emailRecipientFor(provider, target.recipient.value);
  return recipient.ok
    ? undefined
    : { ok: false, reason: 'recipient_invalid', field: 'conversationId', detail: recipient.detail };
};

/** The extension a file name ends in, lower case and without its dot; '' for none. */
const extensionOf = (filename: string): string => {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
};

/**
 * A stored file whose name (the one it goes out under) the provider refuses to attach, named by
 * the field that gave the name: the part's `filename`, else its key (the uploaded name or the key's
 * last segment).
 */
const attachmentRefusal = (
  rules: EmailRules,
  part: OutboundMediaPart,
  partIndex: number,
  facts: StoredMediaFacts,
): Refusal | undefined => {
  const file = storedFileOf(part, partIndex);
  if (file === undefined) return undefined;
  const extension = extensionOf(outgoingNameOf(file, facts));
  if (!rules.refusedExtensions.has(extension)) return undefined;
  return refuse(
    part.filename !== undefined ? `parts.${partIndex}.filename` : file.field,
    `${rules.label} does not send attachments named .${extension} (a type it refuses): send the file as a link (source.url) or under another name`,
  );
};

/**
 * An e-mail is one message whatever its parts: texts, media links and captions joined in order
 * (a blank line between parts), and files from the hub's bucket attached, together at most the
 * provider's `maxAttachmentBytes`, none of a type it refuses. When a text part brings its own HTML,
 * the reply also gets an HTML alternative: those parts' HTML, the others' text escaped into
 * paragraphs, media as links. Templates, interactive parts, reactions and locations have no e-mail
 * form. With `target`, the conversation's address is checked too (emailRecipientFor).
 * E-mail has no customer-service window: the policy is not read.
 */
export const prepareEmailParts = (
  parts: readonly OutboundPart[],
  stored: StoredMedia | undefined,
  provider: EmailProvider,
  target?: SendTarget,
): Prepared => {
  const rules = RULES[provider];
  const { maxAttachmentBytes } = rules;
  const unaddressable = recipientRefusal(provider, target);
  if (unaddressable !== undefined) return unaddressable;
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
    const refusedType = attachmentRefusal(rules, part, partIndex, facts);
    if (refusedType !== undefined) return refusedType;
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
