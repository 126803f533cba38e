import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * fauxqs (1.9.2, and still 2.4.1) checks message bodies with a regular expression that lacks the
 * `u` flag, so every character above U+FFFF (emoji, many CJK extensions) counts as an invalid lone
 * surrogate and the send fails with InvalidMessageContents. SQS itself allows #x10000 to #x10FFFF. Customers send
 * emoji all the time, so the local hub makes the emulator's check match SQS's documented set.
 */
const SQS_INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const SQS_TYPES_MODULE = resolve(import.meta.dirname, '../../node_modules/fauxqs/dist/sqs/sqsTypes.js');

let patched = false;

/** Returns whether the emulator now accepts characters above U+FFFF. */
export const allowSupplementaryCharactersInFauxqs = async (): Promise<boolean> => {
  if (patched) return true;
  if (!existsSync(SQS_TYPES_MODULE)) return false;
  const module: { INVALID_MESSAGE_BODY_CHAR?: unknown } = await import(pathToFileURL(SQS_TYPES_MODULE).href);
  const check = module.INVALID_MESSAGE_BODY_CHAR;
  if (!(check instanceof RegExp)) return false;
  // The module's binding is constant, the object it names is not: replace only its test.
  check.test = (text: string) => SQS_INVALID_CHARACTER.test(text);
  patched = true;
  return true;
};
