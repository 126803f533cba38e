/*
 * SMS encoding and segments (3GPP TS 23.038, as Twilio describes them: twilio.com/docs/glossary/
 * what-sms-character-limit and …/what-is-ucs-2-character-encoding). A message whose every
 * character is in the GSM-7 default alphabet or its extension table goes as GSM-7: 160 septets in
 * one segment, 153 per segment once concatenated, an extension character taking two septets that
 * are never split across segments. One other character makes the whole message UCS-2: 70 UTF-16
 * code units in one segment, 67 per segment once concatenated, a surrogate pair never split.
 */

/** The GSM 03.38 default alphabet, in table order (0x1B, the escape to the extension table, left out). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The extension table: each costs an escape septet plus its own. */
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export type SmsEncoding = 'gsm7' | 'ucs2';

const SEGMENT_SIZE = {
  gsm7: { single: 160, concatenated: 153 },
  ucs2: { single: 70, concatenated: 67 },
} as const;

/** Septets a character costs in GSM-7, or undefined when GSM-7 cannot carry it. */
const gsmCost = (char: string): 1 | 2 | undefined =>
  BASIC.has(char) ? 1 : EXTENSION.has(char) ? 2 : undefined;

/** What a character costs in the encoding: septets for GSM-7, UTF-16 code units for UCS-2. */
const unitCost = (char: string, encoding: SmsEncoding): number =>
  encoding === 'gsm7' ? (gsmCost(char) ?? Number.POSITIVE_INFINITY) : char.length;

/** GSM-7 when every character has a GSM-7 form, else UCS-2 (without Twilio's optional Smart Encoding). */
export const encodingOf = (text: string): SmsEncoding => {
  for (const char of text) if (gsmCost(char) === undefined) return 'ucs2';
  return 'gsm7';
};

/**
 * Segments of a concatenated message are filled in order; a character whose units do not fit in
 * what is left of one starts the next. Counts from one: the first segment is open from the start.
 */
export class SegmentCounter {
  #segments = 1;
  #fill = 0;
  readonly #size: number;

  constructor(readonly encoding: SmsEncoding) {
    this.#size = SEGMENT_SIZE[encoding].concatenated;
  }

  /**
   * The segments the text so far would take (as a concatenated message) with `text` added, character
   * by character (a grapheme of several characters may go on into the next segment: the phone joins
   * the segments back).
   */
  segmentsWith(text: string): number {
    return this.#after(text).segments;
  }

  add(text: string): void {
    const { segments, fill } = this.#after(text);
    this.#segments = segments;
    this.#fill = fill;
  }

  #after(text: string): { segments: number; fill: number } {
    let segments = this.#segments;
    let fill = this.#fill;
    for (const char of text) {
      const cost = unitCost(char, this.encoding);
      if (fill + cost > this.#size) {
        segments += 1;
        fill = cost;
      } else fill += cost;
    }
    return { segments, fill };
  }
}

/** How many segments one message of `text` takes: what a carrier bills and Twilio reports as NumSegments. */
export const segmentCount = (text: string): number => {
  const encoding = encodingOf(text);
  let units = 0;
  for (const char of text) units += unitCost(char, encoding);
  if (units <= SEGMENT_SIZE[encoding].single) return 1;
  const counter = new SegmentCounter(encoding);
  let segments = 1;
  for (const char of text) {
    segments = counter.segmentsWith(char);
    counter.add(char);
  }
  return segments;
};
