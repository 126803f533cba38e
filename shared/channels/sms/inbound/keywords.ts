/**
 * Twilio's default keyword lists (whole message, case-insensitive) for long codes and toll-free
 * numbers; and "OPT OUT", which the FCC's 2024 revocation rule (24-18) counts as an opt-out per se
 * although Twilio's defaults do not: the hub records it, and its sender refuses further SMS.
 */
const OPT_OUT_KEYWORDS = [
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
] as const;
const OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'YES'] as const;
const HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export type ConsentChange = 'opted_out' | 'opted_in' | 'help_requested';

export interface ConsentSignal {
  readonly consent: ConsentChange;
  /** The keyword or `OptOutType` value that caused it. */
  readonly trigger: string;
}

const OPT_OUT_TYPES: Readonly<Record<string, ConsentChange>> = {
  STOP: 'opted_out',
  START: 'opted_in',
  HELP: 'help_requested',
};

/** Matches a message body against the default lists: the whole message, trimmed, any case. */
export const matchConsentKeyword = (body: string): ConsentSignal | undefined => {
  const keyword = body.trim().replace(/\s+/g, ' ').toUpperCase();
  const lists: ReadonlyArray<readonly [readonly string[], ConsentChange]> = [
    [OPT_OUT_KEYWORDS, 'opted_out'],
    [OPT_IN_KEYWORDS, 'opted_in'],
    [HELP_KEYWORDS, 'help_requested'],
  ];
  for (const [keywords, consent] of lists) {
    if (keywords.includes(keyword)) return { consent, trigger: keyword };
  }
  return undefined;
};

/**
 * Twilio's own verdict (`OptOutType`, sent with Advanced Opt-Out, custom keywords included) wins;
 * without it the default lists decide, and only on SMS, where Twilio applies them.
 */
export const consentSignalFor = (
  optOutType: string | undefined,
  body: string | undefined,
  useDefaultKeywords: boolean,
): ConsentSignal | undefined => {
  const fromType = optOutType === undefined ? undefined : OPT_OUT_TYPES[optOutType.trim().toUpperCase()];
  if (fromType && optOutType) return { consent: fromType, trigger: optOutType.trim().toUpperCase() };
  if (!useDefaultKeywords || body === undefined) return undefined;
  return matchConsentKeyword(body);
};
