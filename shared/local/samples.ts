import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { CONNECTORS, type WebhookConnectorId } from '#shared/channels/registry.ts';
import { signTwilioRequest } from '#shared/channels/sms/inbound/signature.ts';
import { type AllChannelSecrets, twilioAccountOf } from '#shared/config/secrets.ts';
import type { Channel } from '#shared/contract/common.ts';
import { providerRoutePath, SAMPLE_FOLDERS } from './routes.ts';
import { twilioSignedUrl } from './twilio-signed-url.ts';

/**
 * Sample payloads, signed the way each provider signs them, ready to post to a hub. The rules for
 * reading `events/` live here once: the golden tests list their fixtures with `listSampleFiles`.
 *
 *   events/<folder>/<variant>.json (.eml for e-mail)   the provider's payload
 *   events/<folder>/<variant>.expected.json            the events it must normalize to
 *   events/<folder>/<variant>.envelope.json            e-mail only: Mailgun's extra form fields
 */

/** A sample folder is named after the channel its connector carries. */
export type SampleChannel = Channel;

export interface Sample {
  readonly path: string;
  /** `<channel>/<variant>` */
  readonly name: string;
  readonly channel: SampleChannel;
  /** The connector the sample is replayed to (shared/channels/registry.ts). */
  readonly connector: WebhookConnectorId;
  readonly payload: Buffer;
  /** E-mail only: extra Mailgun form fields from `<variant>.envelope.json`. */
  readonly envelope: ReadonlyArray<readonly [string, string]>;
}

export interface SampleCollection {
  readonly samples: Sample[];
  /** Paths that are not samples, with the reason. */
  readonly skipped: Array<{ path: string; reason: string }>;
}

export const DEFAULT_EVENTS_DIR = resolve(import.meta.dirname, '../../events');

export const EXPECTED_SUFFIX = '.expected.json';
const ENVELOPE_SUFFIX = '.envelope.json';

const isCompanionFile = (file: string) => file.endsWith(EXPECTED_SUFFIX) || file.endsWith(ENVELOPE_SUFFIX);

/** The payload file extension of a folder's samples: `.eml` for e-mail, `.json` otherwise. */
const sampleExtensionOf = (folder: string): '.eml' | '.json' =>
  SAMPLE_FOLDERS.get(folder) === 'email-mailgun' ? '.eml' : '.json';

/** The variant name of a payload file: `events/sms/stop.json` → `stop`. */
export const variantOf = (file: string): string => basename(file).replace(/\.(json|eml)$/, '');

/** The companion file of a payload: its expectation or its envelope. */
export const companionOf = (payloadFile: string, suffix: string): string =>
  join(dirname(payloadFile), `${variantOf(payloadFile)}${suffix}`);

/** Payload files of one folder, sorted: every file with the folder's extension that is not a companion. */
export const listSampleFiles = (
  dir: string,
  extension: string = sampleExtensionOf(basename(dir)),
): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith(extension) && !isCompanionFile(file))
        .sort()
        .map((file) => join(dir, file))
    : [];

const sampleFolderOf = (file: string): [string, WebhookConnectorId] | undefined => {
  const folder = basename(dirname(resolve(file)));
  const connector = SAMPLE_FOLDERS.get(folder);
  return connector ? [folder, connector] : undefined;
};

const FlatParamsSchema = z.record(z.string(), z.string());

const readEnvelope = (emlPath: string): Array<[string, string]> => {
  const envelopePath = companionOf(emlPath, ENVELOPE_SUFFIX);
  if (!existsSync(envelopePath)) return [];
  return Object.entries(FlatParamsSchema.parse(JSON.parse(readFileSync(envelopePath, 'utf8'))));
};

const sampleFrom = (file: string): Sample | { skip: string } => {
  const found = sampleFolderOf(file);
  if (!found) {
    return { skip: `not in an events/<folder> folder (${[...SAMPLE_FOLDERS.keys()].join(', ')})` };
  }
  const [folder, connector] = found;
  const expectedExtension = sampleExtensionOf(folder);
  if (!file.endsWith(expectedExtension)) return { skip: `${folder} samples are ${expectedExtension} files` };
  return {
    path: file,
    name: `${folder}/${variantOf(file)}`,
    channel: CONNECTORS[connector].channel,
    connector,
    payload: readFileSync(file),
    envelope: CONNECTORS[connector].samples.signer === 'mailgun' ? readEnvelope(file) : [],
  };
};

const listFiles = (path: string): string[] =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .flatMap((entry) => listFiles(join(path, entry)))
    : [path];

/** Every sample under the given files and folders (recursively), companions (.expected/.envelope) left out. */
export const collectSamples = (paths: readonly string[]): SampleCollection => {
  const samples: Sample[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  for (const path of paths) {
    if (!existsSync(path)) {
      skipped.push({ path, reason: 'no such file or folder' });
      continue;
    }
    for (const file of listFiles(path)) {
      if (isCompanionFile(file)) continue;
      if (!file.endsWith('.json') && !file.endsWith('.eml')) continue;
      const sample = sampleFrom(file);
      if ('skip' in sample) skipped.push({ path: file, reason: sample.skip });
      else samples.push(sample);
    }
  }
  return { samples, skipped };
};

export interface OutgoingRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface SigningOptions {
  readonly targetBaseUrl: string;
  /**
   * A local hub's public base URL, when a tunnel exposes it (its info's `publicBaseUrl`): Twilio
   * samples are signed over it, as Twilio calling through the tunnel signs, and still posted to
   * `targetBaseUrl`. Absent for a deployed hub, which checks the URL it is called on.
   */
  readonly hubPublicBaseUrl?: string | undefined;
  readonly secrets: AllChannelSecrets;
  /** Sign with a wrong key, to watch the hub refuse it. */
  readonly tamper?: boolean;
  readonly now?: Date;
}

/** Where a sample is posted: its connector's provider route on the target hub. */
const routeUrl = (targetBaseUrl: string, connector: WebhookConnectorId): string =>
  `${targetBaseUrl.replace(/\/+$/, '')}${providerRoutePath(connector)}`;

const wrongKey = (key: string) => `tampered-${key}`;

/** Twilio's form body: the sample's flat parameters in their order, form-urlencoded. */
const twilioFormParams = (payload: Buffer): Array<[string, string]> =>
  Object.entries(FlatParamsSchema.parse(JSON.parse(payload.toString('utf8'))));

/** multipart/form-data written by hand so `body-mime` carries the .eml bytes untouched. */
export const multipartBody = (
  fields: ReadonlyArray<readonly [string, string | Buffer]>,
  boundary = `----switchboard${randomBytes(12).toString('hex')}`,
): { contentType: string; body: Buffer } => {
  const chunks: Buffer[] = [];
  for (const [name, value] of fields) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`, 'utf8'),
    );
    chunks.push(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
    chunks.push(Buffer.from('\r\n', 'utf8'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
};

/** Whether the sample's provider signs the URL it calls (Twilio): only then does a hub's public URL matter. */
export const signsTheUrl = (sample: Sample): boolean =>
  CONNECTORS[sample.connector].samples.signer === 'twilio';

/** The request the sample's provider would send, signed as that provider signs. */
export const signedRequestFor = (sample: Sample, options: SigningOptions): OutgoingRequest => {
  const url = routeUrl(options.targetBaseUrl, sample.connector);
  const { secrets, tamper = false } = options;
  switch (CONNECTORS[sample.connector].samples.signer) {
    case 'meta': {
      const appSecret = tamper ? wrongKey(secrets.meta.appSecret) : secrets.meta.appSecret;
      return {
        url,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'facebookexternalua',
          'x-hub-signature-256': signMetaBody(appSecret, sample.payload),
        },
        body: sample.payload,
      };
    }
    case 'twilio': {
      const params = twilioFormParams(sample.payload);
      // As Twilio signs: with the token of the account the request names, when it is a further one.
      const accountSid = params.find(([name]) => name === 'AccountSid')?.[1];
      const own = accountSid === undefined ? undefined : twilioAccountOf(secrets.twilio, accountSid);
      const signingToken = own?.authToken ?? secrets.twilio.authToken;
      const authToken = tamper ? wrongKey(signingToken) : signingToken;
      return {
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'TwilioProxy/1.1',
          'x-twilio-signature': signTwilioRequest(
            authToken,
            twilioSignedUrl(url, options.hubPublicBaseUrl),
            params,
          ),
        },
        body: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
      };
    }
    case 'mailgun': {
      const timestamp = String(Math.floor((options.now ?? new Date()).getTime() / 1000));
      // A fresh token per send: Mailgun never reuses one, and the hub refuses replays.
      const token = randomBytes(25).toString('hex');
      const signingKey = tamper ? wrongKey(secrets.mailgun.signingKey) : secrets.mailgun.signingKey;
      const { contentType, body } = multipartBody([
        ...sample.envelope,
        ['timestamp', timestamp],
        ['token', token],
        ['signature', signMailgun(signingKey, timestamp, token)],
        ['body-mime', sample.payload],
      ]);
      return { url, headers: { 'content-type': contentType, 'user-agent': 'switchboard-replay' }, body };
    }
  }
};
