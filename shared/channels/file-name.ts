/*
 * A customer's file name as the hub passes it on (a media part's `filename`, in message.received,
 * media_stored and the helpdesk API's download answer): the one cleaning every adapter applies. A
 * helpdesk saves or shows the file under it, so it must not lead elsewhere in a file system, break a
 * line of a log or a header, or read as another name than it is (`invoice\u202Efdp.exe` shows as
 * `invoiceexe.pdf`). Found by a security review: WhatsApp's document `filename` went on unchanged,
 * an e-mail attachment's lost its path only.
 */

/** The longest name passed on, in UTF-16 code units: what a send command's `filename` takes back. */
export const MAX_DISPLAY_FILE_NAME = 255;

/** The longest tail kept as the extension when a name is cut (`.docx`, `.tar.gz`'s `.gz`). */
const MAX_EXTENSION = 16;

/**
 * C0 and C1 controls (`\p{Cc}`, DEL among them: CR and LF break a log line or a header), the bidirectional
 * marks, embeddings, overrides and isolates (U+200E, U+200F, U+061C, U+202A–U+202E, U+2066–U+2069:
 * they reorder what a person reads), and the line and paragraph separators. One character class,
 * each character tested once: linear time.
 */
const INVISIBLE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Half an emoji (a surrogate without its pair): no UTF-8 form, so no file system or header takes it. */
const LONE_SURROGATE = /\p{Cs}/gu;

/** Cut to `length` code units, never between the two halves of a surrogate pair. */
const cutTo = (text: string, length: number): string => {
  const cut = text.slice(0, length);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
};

/** At most MAX_DISPLAY_FILE_NAME code units, keeping a short extension (`.pdf`) when the name is cut. */
const bounded = (name: string): string => {
  if (name.length <= MAX_DISPLAY_FILE_NAME) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= MAX_EXTENSION ? name.slice(dot) : '';
  return `${cutTo(name, MAX_DISPLAY_FILE_NAME - extension.length).trimEnd()}${extension}`;
};

/**
 * The name to pass on: its last segment after `/` and `\`, without controls and bidirectional
 * marks, a lone surrogate as U+FFFD, trimmed, at most 255 code units (a cut name keeps its
 * extension); undefined when nothing is left, or only `.` or `..`.
 */
export const displayFileName = (name: string | null | undefined): string | undefined => {
  if (name === null || name === undefined) return undefined;
  const segment = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const cleaned = segment.replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return undefined;
  return bounded(cleaned);
};

/**
 * `parts` with every media part's `filename` as displayFileName passes it on (left out when nothing
 * is left of it): a message recorded before 2026-12-05 holds the name as the customer sent it, and
 * the helpdesk API reads it back (the console shows what the API answers).
 */
export const withDisplayFileNames = <Part extends { readonly type: string; readonly filename?: string }>(
  parts: readonly Part[],
): Part[] =>
  parts.map((part) => {
    if (part.type !== 'media' || part.filename === undefined) return part;
    const shown = displayFileName(part.filename);
    if (shown === part.filename) return part;
    const { filename: _stored, ...rest } = part;
    return (shown === undefined ? rest : { ...rest, filename: shown }) as Part;
  });
