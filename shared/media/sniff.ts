/*
 * The content type of a file, from its first bytes: the types the providers deliver as
 * attachments (WhatsApp, Twilio MMS, Messenger). No library for this is among the hub's
 * dependencies (`file-type` is ESM-only and pulls in a tokenizer stack for hundreds of formats);
 * these signatures are the documented magic numbers, checked on the first chunk of the stream.
 */

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length &&
  signature.every((byte, index) => bytes[offset + index] === byte);

const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));

/** The content type the bytes are, or undefined when none of the known signatures matches. */
const sniffContentType = (head: Uint8Array): string | undefined => {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(head, ascii('OggS'))) return 'audio/ogg';
  if (startsWith(head, ascii('ID3')) || startsWith(head, [0xff, 0xfb])) return 'audio/mpeg';
  if (startsWith(head, ascii('#!AMR'))) return 'audio/amr';
  if (startsWith(head, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...head.slice(8, 12));
    if (brand === '3gp4' || brand === '3gp5' || brand === '3gp6') return 'video/3gpp';
    if (brand === 'M4A ') return 'audio/mp4';
    if (brand === 'qt  ') return 'video/quicktime';
    return 'video/mp4';
  }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  return undefined;
};

/** Containers whose specific type only the provider knows (an .docx is a zip, an .m4a an mp4). */
const CONTAINERS: Readonly<Record<string, (declared: string) => boolean>> = {
  'application/zip': (declared) =>
    declared.startsWith('application/vnd.openxmlformats') || declared.includes('zip'),
  'video/mp4': (declared) => declared.startsWith('video/') || declared.startsWith('audio/'),
  'audio/mp4': (declared) => declared.startsWith('audio/'),
  'audio/ogg': (declared) => declared.startsWith('audio/') || declared === 'application/ogg',
};

/**
 * The type to store: what the bytes are when their signature says, the provider's word when the
 * bytes agree with it or say nothing (plain text, CSV, office files without a signature here).
 */
export const checkedContentType = (head: Uint8Array, declared: string | undefined): string => {
  const sniffed = sniffContentType(head);
  const claimed = declared?.split(';')[0]?.trim().toLowerCase() || undefined;
  if (!sniffed) return claimed ?? 'application/octet-stream';
  if (claimed && (claimed === sniffed || CONTAINERS[sniffed]?.(claimed))) return claimed;
  return sniffed;
};
