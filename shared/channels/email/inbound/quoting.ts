/**
 * Finds the new text of a reply: everything above the quoted history. Mail clients mark that
 * history in a few ways, recognised here line by line:
 * - an attribution line ("On … wrote:") in the client's language, possibly wrapped over up to
 *   three lines by the sender's client;
 * - an Outlook header block ("-----Original Message-----", or "From: …" followed by "Sent: …"
 *   within the next lines, in several languages, optionally after a line of underscores);
 * - lines starting with `>` (removed wherever they are, so interleaved quotes go too);
 * - the signature delimiter `-- ` (also without its trailing space, which many clients trim).
 * Returns undefined when nothing would be left, so callers fall back to the full text.
 */

const MAX_ATTRIBUTION_LENGTH = 400;

/** Words that open an attribution line: en, de, fr, es, it, nl, pt, el, pl, sv/da/no, cs. */
const ATTRIBUTION_OPENERS = '(?:On|Am|Le|El|Il|Op|Em|Στις|Την|W dniu|Den|På|Dne)';
/** Verbs that close one, in the same languages plus ru. */
const ATTRIBUTION_VERBS =
  '(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|έγραψε|napisał\\(a\\)|napisała|napisał|pisze|skrev|napsal\\(a\\)|napsal|написал\\(а\\)|написала|написал|пишет)';

// Tested as separate anchored pieces rather than one `^….*…$` pattern, which could backtrack.
const STARTS_WITH_OPENER = new RegExp(`^${ATTRIBUTION_OPENERS}\\s`, 'iu');
const ENDS_WITH_VERB = new RegExp(`\\s${ATTRIBUTION_VERBS}\\s*:$`, 'iu');
/** de, nl, sv put the verb before the name: "Am … schrieb Support <s@x>:". */
const HAS_VERB = new RegExp(`\\s${ATTRIBUTION_VERBS}(?=[\\s:])`, 'iu');
/** Without an opener ("John <john@example.com> wrote:"), an address or a digit must be there too. */
const HAS_ADDRESS_OR_DIGIT = /[@\d]/;

const ORIGINAL_MESSAGE_SEPARATOR =
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Αρχικό μήνυμα|Исходное сообщение)\s*-{2,}$/iu;
const HEADER_FROM = /^\*?(?:From|Von|De|Da|Van|Από|От|Od|Från)\s?:/iu;
const HEADER_SENT =
  /^\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado(?: el)?|Inviato|Verzonden|Στάλθηκε|Ημερομηνία|Отправлено|Wysłano|Skickat|Odesláno)\s?:/iu;
const UNDERSCORE_RULE = /^_{10,}$/;
const SIGNATURE_DELIMITER = /^-- ?$/;
const QUOTED_LINE = /^\s*>/;

const isAttributionAt = (lines: readonly string[], index: number): boolean => {
  let candidate = '';
  for (let offset = 0; offset < 3 && index + offset < lines.length; offset += 1) {
    candidate = `${candidate} ${lines[index + offset]?.trim() ?? ''}`.trim();
    if (candidate.length > MAX_ATTRIBUTION_LENGTH) return false;
    if (!candidate.endsWith(':')) continue;
    if (STARTS_WITH_OPENER.test(candidate) && HAS_VERB.test(candidate)) return true;
    if (offset === 0 && ENDS_WITH_VERB.test(candidate) && HAS_ADDRESS_OR_DIGIT.test(candidate)) return true;
  }
  return false;
};

const isOutlookHeaderAt = (lines: readonly string[], index: number): boolean => {
  const line = lines[index]?.trim() ?? '';
  if (!HEADER_FROM.test(line)) return false;
  return lines.slice(index + 1, index + 4).some((next) => HEADER_SENT.test(next.trim()));
};

/** Index of the first line that starts the quoted history or the signature, else the line count. */
const historyStart = (lines: readonly string[]): number => {
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]?.trim() ?? '';
    if (SIGNATURE_DELIMITER.test(lines[index] ?? '') || ORIGINAL_MESSAGE_SEPARATOR.test(line)) return index;
    if (isOutlookHeaderAt(lines, index)) {
      const previous = lines[index - 1]?.trim() ?? '';
      return UNDERSCORE_RULE.test(previous) ? index - 1 : index;
    }
    if (isAttributionAt(lines, index)) return index;
  }
  return lines.length;
};

export const stripQuotedHistory = (text: string): string | undefined => {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const reply = lines
    .slice(0, historyStart(lines))
    .filter((line) => !QUOTED_LINE.test(line))
    .join('\n')
    .replace(/\s+$/, '')
    .replace(/^\s*\n/, '');
  return reply.trim().length > 0 ? reply : undefined;
};
