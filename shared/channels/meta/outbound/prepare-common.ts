import { isBlank } from '#shared/channels/blank-pieces.ts';
import type { OutboundInteractivePart, OutboundPart } from '#shared/contract/commands.ts';
import type { Prepared, PreparedMessage } from '#shared/outbound/channel-sender.ts';
import { fitsLimit, splitText, type TextLimit } from './split-text.ts';

/** Correlation ids carry the sequence in two digits (`parseCorrelationId`): a command may become at most 100 provider messages. */
const MAX_PROVIDER_MESSAGES = 100;

export type Refusal = Extract<Prepared, { ok: false }>;

export const refuse = (reason: Refusal['reason'], field: string, detail: string): Refusal => ({
  ok: false,
  reason,
  field,
  detail,
});

const isRefusal = (value: readonly PreparedMessage[] | Refusal): value is Refusal =>
  'ok' in value && value.ok === false;

/** A text part as provider messages: one, or its pieces in order. */
export const textMessages = (partIndex: number, text: string, limit: TextLimit): PreparedMessage[] =>
  splitText(text, limit).map((piece) => ({ partIndex, part: { type: 'text', text: piece } }));

/**
 * A body that travels with buttons but may be longer than the provider takes beside them: the
 * leading pieces go first as plain text (up to `textLimit` each), the last (up to `bodyLimit`)
 * carries the buttons. A body too long only by whitespace at its end goes whole with them: its
 * split leaves that blank tail out, and nothing is left to lead (no empty text goes first).
 */
const bodyWithLead = (
  body: string,
  bodyLimit: TextLimit,
  textLimit: TextLimit,
): { lead: string[]; body: string } => {
  if (fitsLimit(body, bodyLimit)) return { lead: [], body };
  const pieces = splitText(body, textLimit);
  const last = pieces.pop() as string;
  if (fitsLimit(last, bodyLimit)) return { lead: pieces, body: last };
  const tail = splitText(last, bodyLimit);
  const final = tail.pop() as string;
  return { lead: tail.length > 0 ? [...pieces, tail.join('')] : pieces, body: final };
};

/**
 * An interactive part as provider messages: the lead of a body longer than `bodyLimit` as text
 * (`bodyWithLead`), then the part with the body's end. A blank body is refused: the contract has
 * refused one since 2026-12-06, but a command queued before would reach the provider with it.
 */
export const interactiveMessages = (
  part: OutboundInteractivePart,
  index: number,
  bodyLimit: TextLimit,
  textLimit: TextLimit,
): PreparedMessage[] | Refusal => {
  if (isBlank(part.body)) {
    return refuse(
      'content_invalid',
      `parts.${index}.body`,
      'the body needs a character other than whitespace',
    );
  }
  const { lead, body } = bodyWithLead(part.body, bodyLimit, textLimit);
  return [
    ...lead.map((text): PreparedMessage => ({ partIndex: index, part: { type: 'text', text } })),
    { partIndex: index, part: { ...part, body } },
  ];
};

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A reaction is one emoji (one grapheme), or empty to remove one. */
export const isOneGraphemeOrEmpty = (value: string): boolean => {
  if (value === '') return true;
  let count = 0;
  for (const _ of graphemes.segment(value)) if (++count > 1) return false;
  return true;
};

/** Runs each part's preparation in order, stopping at the first refusal; caps the total. */
export const prepareAll = (
  parts: readonly OutboundPart[],
  preparePart: (part: OutboundPart, index: number) => readonly PreparedMessage[] | Refusal,
): Prepared => {
  const messages: PreparedMessage[] = [];
  for (const [index, part] of parts.entries()) {
    const prepared = preparePart(part, index);
    if (isRefusal(prepared)) return prepared;
    messages.push(...prepared);
    if (messages.length > MAX_PROVIDER_MESSAGES) {
      return refuse(
        'content_invalid',
        `parts.${index}`,
        `the command would become more than ${MAX_PROVIDER_MESSAGES} provider messages`,
      );
    }
  }
  return { ok: true, messages };
};

/** Unique values: the index of the first repeat, if any. */
export const firstRepeat = (values: readonly string[]): number | undefined => {
  const seen = new Set<string>();
  for (const [index, value] of values.entries()) {
    if (seen.has(value)) return index;
    seen.add(value);
  }
  return undefined;
};
