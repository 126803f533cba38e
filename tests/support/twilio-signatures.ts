import { createHmac } from 'node:crypto';

type Params = ReadonlyArray<readonly [string, string]>;

const hmacSha1Base64 = (token: string, data: string): string =>
  createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');

/**
 * The signature twilio-node's `validateRequest` expects, written here from its algorithm (names
 * sorted; a repeated name's values de-duplicated, then sorted) independently of the adapter's code.
 */
export const twilioNodeSignature = (token: string, url: string, params: Params): string => {
  const values = new Map<string, string[]>();
  for (const [name, value] of params) values.set(name, [...(values.get(name) ?? []), value]);
  const data = [...values.keys()]
    .sort()
    .reduce(
      (signed, name) =>
        signed + [...new Set(values.get(name))].sort().reduce((pairs, value) => pairs + name + value, ''),
      url,
    );
  return hmacSha1Base64(token, data);
};

/** The signature over every value in the order sent (names sorted stably): how Twilio's docs read. */
export const sentOrderSignature = (token: string, url: string, params: Params): string =>
  hmacSha1Base64(
    token,
    [...params]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .reduce((signed, [name, value]) => signed + name + value, url),
  );

/** What twilio-node's signature covers of a request: its set of distinct name and value pairs. */
export const twilioNodeSignedPairs = (params: Params): string =>
  JSON.stringify([...new Set(params.map((pair) => JSON.stringify(pair)))].sort());
