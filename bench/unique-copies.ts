import type { Sample } from '#shared/local/samples.ts';

/**
 * Copies of a sample that are distinct occurrences to the hub: provider message ids (and the
 * customer's id, per conversation) are rewritten in the raw payload BEFORE signing, so the copy is
 * exactly what a provider would send for another message. Without it the hub would rightly drop
 * the copies as duplicates. Each id keeps its length and alphabet: the last characters are
 * replaced by the copy number, in digits, hex or base-36 as the id already uses.
 */

const MESSAGE_ID_KEYS = new Set(['mid', 'MessageSid', 'SmsSid', 'SmsMessageSid']);
const CONTACT_KEYS = new Set(['from', 'wa_id', 'recipient_id', 'From']);

const encodeLike = (value: string, number: number): string => {
  const tailMatch = /[^A-Za-z0-9]*$/.exec(value);
  const tail = tailMatch?.[0] ?? '';
  const body = value.slice(0, value.length - tail.length);
  const width = Math.min(6, Math.max(1, body.length - 1));
  const end = body.slice(-width);
  const radix = /^[0-9]+$/.test(end) ? 10 : /^[0-9a-f]+$/.test(end) ? 16 : 36;
  const encoded = (number % radix ** width).toString(radix).padStart(width, '0');
  return `${body.slice(0, body.length - width)}${encoded}${tail}`;
};

type Replacements = Map<string, string>;

const collectJsonIds = (
  node: unknown,
  copy: number,
  conversation: number,
  out: Replacements,
  parentKey = '',
  pageIds: ReadonlySet<string> = new Set(),
): void => {
  if (Array.isArray(node)) {
    for (const item of node) collectJsonIds(item, copy, conversation, out, parentKey, pageIds);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  const pages =
    typeof record.id === 'string' && 'messaging' in record ? new Set([...pageIds, record.id]) : pageIds;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') {
      const isMessageId = MESSAGE_ID_KEYS.has(key) || (key === 'id' && value.startsWith('wamid.'));
      const isContact =
        CONTACT_KEYS.has(key) || (key === 'id' && (parentKey === 'sender' || parentKey === 'recipient'));
      if (isMessageId) out.set(value, encodeLike(value, copy));
      else if (isContact && !pages.has(value) && value.length > 3)
        out.set(value, encodeLike(value, conversation));
    } else if (key === 'mids' && Array.isArray(value)) {
      for (const mid of value) if (typeof mid === 'string') out.set(mid, encodeLike(mid, copy));
    } else {
      collectJsonIds(value, copy, conversation, out, key, pages);
    }
  }
};

const replaceAll = (text: string, replacements: Replacements): string => {
  let result = text;
  // Longest first, so an id that contains another is rewritten whole.
  for (const [from, to] of [...replacements].sort((a, b) => b[0].length - a[0].length)) {
    result = result.split(from).join(to);
  }
  return result;
};

/** Copy `copy` of a sample, in conversation `conversation` (same customer id for the same number). */
export const uniqueCopy = (sample: Sample, copy: number, conversation: number): Sample => {
  const text = sample.payload.toString('utf8');
  if (sample.channel === 'email') {
    const payload = text.replace(
      /^(Message-ID:\s*<)([^>]*>)/im,
      (_, prefix: string, rest: string) => `${prefix}bench-${copy}.${rest}`,
    );
    return { ...sample, name: `${sample.name}#${copy}`, payload: Buffer.from(payload, 'utf8') };
  }
  const replacements: Replacements = new Map();
  collectJsonIds(JSON.parse(text), copy, conversation, replacements);
  return {
    ...sample,
    name: `${sample.name}#${copy}`,
    payload: Buffer.from(replaceAll(text, replacements), 'utf8'),
  };
};
