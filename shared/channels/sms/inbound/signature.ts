import { createHash } from 'node:crypto';
import { constantTimeEqual, hmacBase64 } from '#shared/channels/signature.ts';
import type { FormParam } from './form.ts';

/**
 * `X-Twilio-Signature` as Twilio computes it: base64 HMAC-SHA1 keyed with the auth token over the
 * exact URL it called followed by every parameter's name and value, sorted by name. The sort is
 * stable, so a repeated name contributes each of its values in the order they were sent.
 */
export const signTwilioRequest = (
  authToken: string,
  url: string,
  params: ReadonlyArray<readonly [string, string]>,
): string => signTwilioData(authToken, url, sortedParamData(params));

/** Every parameter's name and value, sorted by name: the part of the signed data after the URL. */
const sortedParamData = (params: ReadonlyArray<readonly [string, string]>): string => {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let data = '';
  for (const [name, value] of sorted) data += name + value;
  return data;
};

const signTwilioData = (authToken: string, url: string, paramData: string): string =>
  hmacBase64('sha1', authToken, url + paramData);

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
 * True when the header matches a signature under any accepted token and URL form. Each comparison
 * is constant time; the candidates are tried in a fixed order and the first match ends the search.
 * That stop tells only which token and URL form a valid request used, none of them secret; a
 * forged header still costs every candidate.
 */
export const twilioSignatureMatches = (
  authTokens: readonly string[],
  url: string,
  params: readonly FormParam[],
  header: string,
): boolean => {
  // Sorted once: only the URL and the token differ between candidates.
  const paramData = sortedParamData(params);
  const candidates = urlVariants(url);
  for (const token of authTokens) {
    for (const candidate of candidates) {
      if (constantTimeEqual(signTwilioData(token, candidate, paramData), header)) return true;
    }
  }
  return false;
};

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
