/*
 * What text shown to a customer must hold, the one home of both rules: the contract publishes and
 * checks them (shared/contract/common.ts), the channels' splitters and caption checks use the first
 * (shared/channels/blank-pieces.ts). No zod here, so a webhook's path may import it. Each is one
 * character class, so a test of them takes time linear in the text.
 */

/**
 * A character that shows the reader something: anything but whitespace (`\s`), a control character
 * (`\p{Cc}`: NUL…), a format character (`\p{Cf}`: zero-width space, ZWNJ, ZWJ, word joiner, BOM,
 * direction marks…) and what Unicode names default-ignorable, rendered as nothing where unsupported
 * (`\p{Default_Ignorable_Code_Point}`: besides most of Cf, the fillers that count as letters or marks,
 * U+034F combining grapheme joiner, U+115F and U+1160 Hangul choseong and jungseong fillers, U+3164
 * Hangul filler, U+FFA0 halfwidth Hangul filler, and the variation selectors). Published as the
 * pattern of a non-blank text.
 */
export const SHOWN_CHARACTER = /[^\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** Whether a text shows the reader nothing: empty, or only whitespace, control, format or default-ignorable characters. */
export const showsNothing = (text: string): boolean => !SHOWN_CHARACTER.test(text);

/**
 * A text without an unpaired UTF-16 surrogate (half an emoji, as a helpdesk that cuts text by code
 * units leaves it): in u-mode `\P{Cs}` matches every code point but a lone surrogate, a pair being
 * one code point. An unpaired one has no UTF-8 form: JSON.stringify writes it as `\ud83d`, which a
 * strict parser refuses, and a form or a MIME body gets U+FFFD instead. Published as a pattern.
 */
export const WELL_FORMED = /^\P{Cs}*$/u;
