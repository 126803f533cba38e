import { createHash } from 'node:crypto';
import PostalMime, { type Address } from 'postal-mime';

/** What the e-mail simulators need from a raw MIME message: its top-level headers and addresses. */
export interface MimeSummary {
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly from?: string;
  /** The From header as written (display name included), as SES reports it. */
  readonly fromHeader?: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject?: string;
  readonly messageId?: string;
  /** Its attachments, each as its name, type, length and SHA-256 (never the bytes). */
  readonly attachments: readonly {
    readonly filename: string | null;
    readonly mimeType: string;
    readonly byteLength: number;
    readonly sha256: string;
  }[];
}

const addressesOf = (addresses: readonly Address[] | undefined): string[] =>
  (addresses ?? []).flatMap((address) =>
    address.group ? address.group.map((member) => member.address) : [address.address],
  );

/** Undefined when the bytes do not parse as a message. */
export const summarizeMime = async (bytes: Uint8Array): Promise<MimeSummary | undefined> => {
  try {
    const email = await PostalMime.parse(bytes, { maxRfc822NestingDepth: 0 });
    const from = email.from ? addressesOf([email.from])[0] : undefined;
    const fromHeader = email.headers.find((header) => header.key === 'from')?.value;
    return {
      headers: email.headers.map((header) => ({ name: header.originalKey, value: header.value })),
      ...(from ? { from } : {}),
      ...(fromHeader ? { fromHeader } : {}),
      to: addressesOf(email.to),
      cc: addressesOf(email.cc),
      bcc: addressesOf(email.bcc),
      ...(email.subject !== undefined ? { subject: email.subject } : {}),
      ...(email.messageId !== undefined ? { messageId: email.messageId } : {}),
      attachments: email.attachments.map((attachment) => {
        const content =
          typeof attachment.content === 'string'
            ? Buffer.from(attachment.content, 'utf8')
            : new Uint8Array(attachment.content);
        return {
          filename: attachment.filename,
          mimeType: attachment.mimeType,
          byteLength: content.byteLength,
          sha256: createHash('sha256').update(content).digest('hex'),
        };
      }),
    };
  } catch {
    return undefined;
  }
};
