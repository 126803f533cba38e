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
    };
  } catch {
    return undefined;
  }
};
