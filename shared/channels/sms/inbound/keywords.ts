import { ownValue } from '#shared/validation/own-value.ts';

export type ConsentChange = 'opted_out' | 'opted_in' | 'help_requested';

export interface ConsentSignal {
  readonly consent: ConsentChange;
  /** The canonical keyword (as listed below) or `OptOutType` value that caused it. */
  readonly trigger: string;
}

/** A keyword: its canonical spelling, or that spelling then others that do not fold to it. */
type Spelling = string | readonly [canonical: string, ...variants: string[]];

type KeywordSet = Readonly<Record<ConsentChange, readonly Spelling[]>>;

/**
 * The consent keywords, per language, canonical spellings in upper case. A message is one of them
 * when what is left of it, once its edges are trimmed, folds to the same text (`matchConsentKeyword`
 * has the rule): compatibility forms decomposed (NFKD), combining marks, invisible format
 * characters and Armenian in-word punctuation dropped, upper-cased without a locale, a hyphen or
 * underscore read as a space. So case, Greek accents and final sigma ("στόπ", "Στοπ", "ΣΤΌΠ"),
 * Polish and Latvian diacritics left out by a phone without the keyboard ("REZYGNUJE", "SAKT",
 * "PALIDZIBA"), punctuation ("STOP.", "ΣΤΟΠ!", "\"Unsubscribe\"", "Ստո՜պ"), a zero-width space and
 * "opt-out" or "opt_out" do not matter. Twilio's defaults need the bare word; the FCC's 2024
 * revocation rule (24-18) takes any reasonable wording and these words per se, so the hub records
 * the opt-outs Twilio lets through (its sender refuses SMS after them).
 *
 * - en: Twilio's default lists for long codes and toll-free numbers; and "OPT OUT", which the FCC's
 *   2024 revocation rule (24-18) counts as an opt-out per se although Twilio's defaults do not.
 * - pl, lv, el, hy: Twilio has no lists in these languages (its defaults are English; Advanced
 *   Opt-Out localizes only through keywords a Messaging Service adds, which arrive as `OptOutType`),
 *   and we found none from a carrier or regulator. What we found (LMT, Latvia's largest operator,
 *   on its mobile-content services; Greek short-code terms, "Διαγραφή: στείλε STOP") tells people to
 *   send the Latin STOP, which the English list covers. The rest is our own conservative choice:
 *   words that ask to stop, start or be helped and mean little else as a whole message. Left out on
 *   purpose: the bare "no" and "yes" (NIE/TAK, NĒ/JĀ, ΟΧΙ/ΝΑΙ, ՈՉ/ԱՅՈ), ordinary replies to any
 *   question, which would opt a customer out or, worse, back in; and Greek ΤΕΛΟΣ ("end", but also
 *   "fee"). Kept although not unique: Greek ΔΙΑΚΟΠΗ, also "outage", since a missed opt-out costs
 *   more than a wrong one (which the helpdesk sees, and START undoes).
 *
 * Twilio acts on none of the non-English words unless a Messaging Service adds them as its own: the
 * hub records them, its sender refuses SMS after an opt-out, and an opt-in here does not lift a
 * block Twilio holds (only Twilio's own opt-in keywords do).
 */
const KEYWORDS_BY_LANGUAGE = {
  en: {
    opted_out: [
      'OPT OUT',
      'STOP',
      'STOPALL',
      'UNSUBSCRIBE',
      'CANCEL',
      'END',
      'QUIT',
      'REVOKE',
      'OPTOUT',
      'STOP ALL',
    ],
    opted_in: ['START', 'UNSTOP', 'YES'],
    help_requested: ['HELP', 'INFO'],
  },
  // "I opt out" (REZYGNUJE without the ogonek), "unsubscribe (me)"; "help".
  pl: {
    opted_out: ['STOP', 'REZYGNUJĘ', 'WYPISZ'],
    opted_in: ['START'],
    help_requested: ['POMOC'],
  },
  // "to cancel", "to unsubscribe"; "to start"; "help".
  lv: {
    opted_out: ['STOP', 'ATTEIKTIES', 'ATRAKSTĪTIES'],
    opted_in: ['SĀKT'],
    help_requested: ['PALĪDZĪBA'],
  },
  // STOP typed on a Greek keyboard, "deletion", "unsubscription", "discontinuation"; "start"; "help".
  el: {
    opted_out: ['ΣΤΟΠ', 'ΔΙΑΓΡΑΦΗ', 'ΑΠΕΓΓΡΑΦΗ', 'ΔΙΑΚΟΠΗ'],
    opted_in: ['ΕΝΑΡΞΗ'],
    help_requested: ['ΒΟΗΘΕΙΑ'],
  },
  // STOP in Armenian letters (also with the օ of the phonetic keyboard), "to stop", "to renounce";
  // "to start"; "help" (also in the classical spelling of the diaspora).
  hy: {
    opted_out: [['ՍՏՈՊ', 'ՍՏՕՊ'], 'ԴԱԴԱՐԵՑՆԵԼ', 'ՀՐԱԺԱՐՎԵԼ'],
    opted_in: ['ՍԿՍԵԼ'],
    help_requested: [['ՕԳՆՈՒԹՅՈՒՆ', 'ՕԳՆՈՒԹԻՒՆ']],
  },
} as const satisfies Readonly<Record<string, KeywordSet>>;

export type KeywordLanguage = keyof typeof KEYWORDS_BY_LANGUAGE;

export interface ConsentKeyword {
  readonly language: KeywordLanguage;
  readonly consent: ConsentChange;
  /** The canonical spelling, reported as the signal's trigger. */
  readonly trigger: string;
  /** Other spellings that give the same signal but do not fold to the canonical one. */
  readonly variants: readonly string[];
}

/** Every language's keywords, one entry per canonical spelling. */
export const CONSENT_KEYWORDS: readonly ConsentKeyword[] = Object.entries(KEYWORDS_BY_LANGUAGE).flatMap(
  ([language, keywords]) =>
    Object.entries(keywords as KeywordSet).flatMap(([consent, spellings]) =>
      spellings.map((spelling) => {
        const [trigger, ...variants] = typeof spelling === 'string' ? [spelling] : spelling;
        return {
          language: language as KeywordLanguage,
          consent: consent as ConsentChange,
          trigger,
          variants,
        };
      }),
    ),
);

/** No keyword is near this long: a message longer than this once its edges are trimmed is not folded. */
export const MAX_KEYWORD_LENGTH = 64;

/**
 * What a message's edges may hold around a keyword: white space, invisible format characters (a
 * zero-width space, a byte-order mark, a direction mark), punctuation ("STOP.", "¡Stop!", "(stop)",
 * "«ΣΤΟΠ»", "Ստոպ։") and a combining mark left by one (the emoji selector of "STOP‼️"). Tested
 * one character at a time: nothing here backtracks.
 */
const EDGE = /^[\s\p{Cf}\p{P}\p{M}]$/u;

/** `text` without its edges (as EDGE says), scanned from each end: linear in the edges alone. */
const withoutEdges = (text: string): string => {
  let start = 0;
  while (start < text.length) {
    const character = String.fromCodePoint(text.codePointAt(start) ?? 0);
    if (!EDGE.test(character)) break;
    start += character.length;
  }
  let end = text.length;
  while (end > start) {
    const low = text.charCodeAt(end - 1);
    const high = end - 2 >= start ? text.charCodeAt(end - 2) : 0;
    const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
    const character = text.slice(pair ? end - 2 : end - 1, end);
    if (!EDGE.test(character)) break;
    end -= character.length;
  }
  return text.slice(start, end);
};

/**
 * Dropped wherever they are: combining marks, invisible format characters, and the Armenian
 * emphasis, exclamation and question marks, which are written over the stressed vowel inside the
 * word ("Ստո՜պ" is "Stop!"), where other scripts put punctuation after it.
 */
const DROPPED = /[\p{M}\p{Cf}\u055B\u055C\u055E]/gu;
/** White space, dashes ("opt-out", "opt–out") and connectors ("opt_out"): one space between words. */
const BETWEEN_WORDS = /[\s\p{Pd}\p{Pc}]+/gu;

/** The form a message and a keyword are compared in (linear time: no regex here backtracks). */
const fold = (text: string): string =>
  text.normalize('NFKD').replace(DROPPED, '').toUpperCase().replace(BETWEEN_WORDS, ' ');

/** Each folded spelling and the signal it gives; two languages may share a word, not its meaning. */
const SIGNALS: ReadonlyMap<string, ConsentSignal> = (() => {
  const signals = new Map<string, ConsentSignal>();
  for (const { consent, trigger, variants } of CONSENT_KEYWORDS) {
    for (const spelling of [trigger, ...variants]) {
      const key = fold(spelling);
      const known = signals.get(key);
      if (known && (known.consent !== consent || known.trigger !== trigger)) {
        throw new Error(`consent keyword ${spelling} folds to ${known.trigger} (${known.consent})`);
      }
      signals.set(key, { consent, trigger });
    }
  }
  return signals;
})();

/**
 * The one word an opt-out keyword may have before or after it ("STOP please", "Please, stop!",
 * "opt out pls"), folded. Opt-outs only: "Yes please" answers any question and would opt a customer
 * back in, and "please help" is a question for the helpdesk, not the HELP keyword.
 */
const POLITE_WORDS: ReadonlySet<string> = new Set(['PLEASE', 'PLS', 'PLZ']);

/** An opt-out keyword with one polite word before or after it in `folded`, punctuation between them allowed. */
const politeOptOut = (folded: string): ConsentSignal | undefined => {
  const first = folded.indexOf(' ');
  if (first < 0) return undefined;
  const last = folded.lastIndexOf(' ');
  const rest = POLITE_WORDS.has(withoutEdges(folded.slice(0, first)))
    ? folded.slice(first + 1)
    : POLITE_WORDS.has(withoutEdges(folded.slice(last + 1)))
      ? folded.slice(0, last)
      : undefined;
  const signal = rest === undefined ? undefined : SIGNALS.get(withoutEdges(rest));
  return signal?.consent === 'opted_out' ? signal : undefined;
};

/**
 * Matches a message body against the keyword lists. The whole message must be one keyword once
 * white space, invisible format characters and punctuation are trimmed from both ends (what is left
 * at most MAX_KEYWORD_LENGTH long), compared as `fold` makes it: any case, accents and format
 * characters dropped, hyphens and underscores read as spaces ("Opt-out." is OPT OUT). An opt-out
 * keyword may also have one of POLITE_WORDS before or after it. Any other word makes it a message
 * ("don't stop", "stop by tomorrow", "STOP STOP", "help stop"), and so does an emoji or another
 * symbol, which is not punctuation ("STOP 🙂").
 */
export const matchConsentKeyword = (body: string): ConsentSignal | undefined => {
  const message = withoutEdges(body);
  if (message.length === 0 || message.length > MAX_KEYWORD_LENGTH) return undefined;
  const folded = fold(message);
  return SIGNALS.get(folded) ?? politeOptOut(folded);
};

const OPT_OUT_TYPES: Readonly<Record<string, ConsentChange>> = {
  STOP: 'opted_out',
  START: 'opted_in',
  HELP: 'help_requested',
};

/**
 * Twilio's own verdict (`OptOutType`, sent with Advanced Opt-Out, custom keywords included) wins;
 * without it the keyword lists decide, and only on SMS, where Twilio applies its defaults.
 */
export const consentSignalFor = (
  optOutType: string | undefined,
  body: string | undefined,
  useDefaultKeywords: boolean,
): ConsentSignal | undefined => {
  const fromType =
    optOutType === undefined ? undefined : ownValue(OPT_OUT_TYPES, optOutType.trim().toUpperCase());
  if (fromType && optOutType) return { consent: fromType, trigger: optOutType.trim().toUpperCase() };
  if (!useDefaultKeywords || body === undefined) return undefined;
  return matchConsentKeyword(body);
};
