/*
 * The magic numbers every file of a type opens with, apart from ./sniff.ts's type detection (ISO
 * base media brands, containers): what the webhooks need to tell an e-mail attachment whose bytes
 * contradict its declared type (./stored-type.ts) without carrying the brand tables.
 */

export const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length &&
  signature.every((byte, index) => bytes[offset + index] === byte);

export const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));

type Signature = (head: Uint8Array) => boolean;

const ogg: Signature = (head) => startsWith(head, ascii('OggS'));

/** Types whose every file opens with one fixed signature, and that signature (no two overlap). */
export const FIXED_SIGNATURES: ReadonlyMap<string, Signature> = new Map<string, Signature>([
  ['image/jpeg', (head) => startsWith(head, [0xff, 0xd8, 0xff])],
  ['image/png', (head) => startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['image/gif', (head) => startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))],
  ['image/webp', (head) => startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)],
  ['application/pdf', (head) => startsWith(head, ascii('%PDF-'))],
  ['audio/ogg', ogg],
  // AMR and AMR-WB (`#!AMR-WB`).
  ['audio/amr', (head) => startsWith(head, ascii('#!AMR'))],
]);

/**
 * Declared types (without parameters, lower case) whose every file opens with a signature: the
 * fixed ones and the other names of an Ogg file. Not MP3, whose frames open with several sync words,
 * nor the ISO base media types, whose older QuickTime files open with other boxes than `ftyp`.
 */
const SIGNATURE_OF_DECLARED: ReadonlyMap<string, Signature> = new Map<string, Signature>([
  ...FIXED_SIGNATURES,
  ['video/ogg', ogg],
  ['application/ogg', ogg],
]);

/** Whether bytes declared as `type` lack the signature every file of that type opens with. */
export const contradictsSignature = (type: string, head: Uint8Array): boolean => {
  const signature = SIGNATURE_OF_DECLARED.get(type);
  return signature !== undefined && !signature(head);
};
