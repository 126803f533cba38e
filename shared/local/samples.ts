import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { signTwilioRequest } from '#shared/channels/sms/inbound/signature.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import { CHANNEL_ROUTE_PATHS } from './routes.ts';

/** Sample payloads, signed the way each provider signs them, ready to post to a hub. */

export type SampleChannel = keyof typeof CHANNEL_ROUTE_PATHS;
const CHANNELS = Object.keys(CHANNEL_ROUTE_PATHS) as SampleChannel[];

export interface Sample {
  readonly path: string;
  /** `<channel>/<variant>` */
  readonly name: string;
  readonly channel: SampleChannel;
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

const isCompanionFile = (file: string) => file.endsWith('.expected.json') || file.endsWith('.envelope.json');

const channelOf = (file: string): SampleChannel | undefined => {
  const folder = basename(dirname(resolve(file)));
  return CHANNELS.find((channel) => channel === folder);
};

const FlatParamsSchema = z.record(z.string(), z.string());

const readEnvelope = (emlPath: string): Array<[string, string]> => {
  const envelopePath = emlPath.replace(/\.eml$/, '.envelope.json');
  if (!existsSync(envelopePath)) return [];
  return Object.entries(FlatParamsSchema.parse(JSON.parse(readFileSync(envelopePath, 'utf8'))));
};

const sampleFrom = (file: string): Sample | { skip: string } => {
  const channel = channelOf(file);
  if (!channel) return { skip: 'not in an events/<channel> folder (messenger, whatsapp, sms, email)' };
  const expectedExtension = channel === 'email' ? '.eml' : '.json';
  if (!file.endsWith(expectedExtension)) return { skip: `${channel} samples are ${expectedExtension} files` };
  const variant = basename(file).replace(/\.(json|eml)$/, '');
  return {
    path: file,
    name: `${channel}/${variant}`,
    channel,
    payload: readFileSync(file),
    envelope: channel === 'email' ? readEnvelope(file) : [],
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
  readonly secrets: ChannelSecrets;
  /** Sign with a wrong key, to watch the hub refuse it. */
  readonly tamper?: boolean;
  readonly now?: Date;
}

export const routeUrl = (targetBaseUrl: string, channel: SampleChannel): string =>
  `${targetBaseUrl.replace(/\/+$/, '')}${CHANNEL_ROUTE_PATHS[channel]}`;

const wrongKey = (key: string) => `tampered-${key}`;

/** Twilio's form body: the sample's flat parameters in their order, form-urlencoded. */
export const twilioFormParams = (payload: Buffer): Array<[string, string]> =>
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

/** The request the sample's provider would send, signed as that provider signs. */
export const signedRequestFor = (sample: Sample, options: SigningOptions): OutgoingRequest => {
  const url = routeUrl(options.targetBaseUrl, sample.channel);
  const { secrets, tamper = false } = options;
  switch (sample.channel) {
    case 'messenger':
    case 'whatsapp': {
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
    case 'sms': {
      const params = twilioFormParams(sample.payload);
      const authToken = tamper ? wrongKey(secrets.twilio.authToken) : secrets.twilio.authToken;
      return {
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'TwilioProxy/1.1',
          'x-twilio-signature': signTwilioRequest(authToken, url, params),
        },
        body: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
      };
    }
    case 'email': {
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
