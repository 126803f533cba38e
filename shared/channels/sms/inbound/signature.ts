import { createHash } from 'node:crypto';
import { constantTimeEqual, hmacBase64 } from '#shared/channels/signature.ts';
import type { FormParam } from './form.ts';

type Params = ReadonlyArray<readonly [string, string]>;

/** UTF-16 code-unit order, as JavaScript's default `sort()` and Twilio's validators compare. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `X-Twilio-Signature` as Twilio computes it: base64 HMAC-SHA1 keyed with the auth token over the
 * exact URL it called followed by every parameter's name and value, sorted by name. A repeated
 * name is written the way Twilio's reference validator (twilio-node `validateRequest`) reads it:
 * each distinct value once, in sorted order.
 */
export const signTwilioRequest = (authToken: string, url: string, params: Params): string =>
  signTwilioData(authToken, url, referenceParamData(params));

/**
 * The part of the signed data after the URL as twilio-node builds it (and twilio-python alike):
 * names sorted, and a repeated name's values de-duplicated and sorted.
 */
const referenceParamData = (params: Params): string => {
  const valuesByName = new Map<string, string[]>();
  for (const [name, value] of params) {
    const values = valuesByName.get(name);
    if (values) values.push(value);
    else valuesByName.set(name, [value]);
  }
  let data = '';
  for (const name of [...valuesByName.keys()].sort(byCodeUnits)) {
    for (const value of [...new Set(valuesByName.get(name))].sort(byCodeUnits)) data += name + value;
  }
  return data;
};

/**
 * The same with a repeated name's values in the order they were sent, every one: how Twilio's
 * documentation reads ("sorted by name", each value appended). Only differs from the reference
 * form when a name repeats.
 */
const sentOrderParamData = (params: Params): string => {
  const sorted = [...params].sort(([a], [b]) => byCodeUnits(a, b));
  let data = '';
  for (const [name, value] of sorted) data += name + value;
  return data;
};

/**
 * The forms a request's parameters may have been signed in: the reference validator's, and for a
 * request that repeats a name also the sent order. Twilio documents neither for repeated names;
 * twilio-node and twilio-python both de-duplicate and sort, so that is what Twilio's servers must
 * sign for their validators to pass, and the sent order stays accepted because nothing documents
 * that it is never used. The reference form binds neither the order nor the repetition of a
 * repeated name's values, exactly as Twilio's own validators do not: a captured request replayed
 * with them reordered or repeated still matches. A message or status in it keeps its id (from the
 * MessageSid), so it is a duplicate; a request kept whole as unsupported (a repeated known name)
 * hashes its raw parameters, and would be passed on once more.
 */
const signedParamForms = (params: Params): string[] => {
  const sentOrder = sentOrderParamData(params);
  // Without a repeated name both forms are the same string: the reference form is built only then.
  const names = new Set<string>();
  for (const [name] of params) names.add(name);
  if (names.size === params.length) return [sentOrder];
  const reference = referenceParamData(params);
  return sentOrder === reference ? [reference] : [reference, sentOrder];
};

/**
 * Over the URL less any fragment: Twilio leaves a URL's connection overrides (`#rc=…&rp=…`) out of
 * the signature ("these URL fragments do not make it into the signature computation",
 * https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides), and a request never
 * carries a fragment, so the URL the webhook checks has none.
 */
const signTwilioData = (authToken: string, url: string, paramData: string): string =>
  hmacBase64('sha1', authToken, withoutFragment(url) + paramData);

const withoutFragment = (url: string): string => {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
};

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'https:': '443', 'http:': '80' };

/**
 * The URL as given, plus the same URL with its scheme's default port added or removed: Twilio's
 * own validators accept both because some of its edges sign with `:443` and some without.
 */
const urlVariants = (url: string): string[] => {
  const match = /^(https?:)\/\/([^/?#]+)(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme = '', authority = '', rest = ''] = match;
  const defaultPort = DEFAULT_PORTS[scheme.toLowerCase()];
  if (!defaultPort) return [url];
  const suffix = `:${defaultPort}`;
  const toggled = authority.endsWith(suffix)
    ? authority.slice(0, -suffix.length)
    : /:\d+$/.test(authority)
      ? undefined
      : `${authority}${suffix}`;
  return toggled === undefined ? [url] : [url, `${scheme}//${toggled}${rest}`];
};

/**
 * True when the header matches a signature under any accepted token, URL form and parameter form.
 * Each comparison is constant time; the candidates are tried in a fixed order and the first match
 * ends the search. That stop tells only which token and form a valid request used, none of them
 * secret; a forged header still costs every candidate.
 */
export const twilioSignatureMatches = (
  authTokens: readonly string[],
  url: string,
  params: readonly FormParam[],
  header: string,
): boolean => {
  // Built once: only the URL and the token differ between candidates.
  const paramForms = signedParamForms(params);
  const candidates = urlVariants(url);
  for (const token of authTokens) {
    for (const candidate of candidates) {
      for (const paramData of paramForms) {
        if (constantTimeEqual(signTwilioData(token, candidate, paramData), header)) return true;
      }
    }
  }
  return false;
};

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
