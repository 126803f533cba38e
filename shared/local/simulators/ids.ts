import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Provider ids, unique and shaped like the real ones, derived from a per-start random seed and a
 * counter: the same seed and the same order of requests give the same ids.
 */
export interface IdFactory {
  /** `wamid.` + base64, as WhatsApp message ids look. */
  wamid(): string;
  /** `m_` + base64url, as Messenger and Instagram message ids look. */
  messengerMid(): string;
  /** `SM` + 32 lower-case hex digits. */
  twilioMessageSid(): string;
  /** `ME` + 32 lower-case hex digits: a Twilio Media resource. */
  twilioMediaSid(): string;
  /** `0100` + 12 hex, `-` + a UUID, `-000000`: an SES message id from us-east-1. */
  sesMessageId(): string;
  /** `<YYYYMMDDhhmmss.16hex@domain>`, as Mailgun answers a send. */
  mailgunMessageId(domain: string, now: Date): string;
  /** A 22-character Mailgun event id. */
  mailgunEventId(): string;
  /** A 50-hex-digit Mailgun webhook token. */
  mailgunToken(): string;
  /** A numeric Graph id (media ids). */
  graphNumericId(): string;
  /** Graph's `fbtrace_id`. */
  fbtraceId(): string;
  /** A UUID (SNS message ids, request ids). */
  uuid(): string;
  /** Hex of the given length, for hashes and signatures that are not checked. */
  hex(length: number): string;
}

const asUuid = (bytes: Buffer): string => {
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

const mailgunStamp = (now: Date): string =>
  `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}` +
  `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;

/** Stable digits for a value (display numbers and account ids the simulators have to make up). */
export const digitsOf = (value: string, length: number, firstDigit = '1'): string => {
  const hash = createHash('sha256').update(value).digest();
  let digits = firstDigit;
  for (const byte of hash) {
    if (digits.length >= length) break;
    digits += String(byte % 10);
  }
  return digits;
};

export const createIdFactory = (seed: Buffer = randomBytes(32)): IdFactory => {
  let counter = 0;
  const next = (label: string, length = 64): Buffer => {
    counter += 1;
    const chunks: Buffer[] = [];
    for (let block = 0; chunks.length * 32 < length; block += 1) {
      chunks.push(createHmac('sha256', seed).update(`${label}:${counter}:${block}`).digest());
    }
    return Buffer.concat(chunks).subarray(0, length);
  };
  const numeric = (label: string, length: number): string => {
    let digits = '1';
    for (const byte of next(label, length)) {
      if (digits.length >= length) break;
      digits += String(byte % 10);
    }
    return digits;
  };
  return {
    // Real wamids are base64 of a small binary record; the leading bytes give the familiar `HBg`.
    wamid: () =>
      `wamid.${Buffer.concat([Buffer.from([0x1c, 0x18, 0x0b]), next('wamid', 42)]).toString('base64')}`,
    messengerMid: () => `m_${next('mid', 64).toString('base64url')}`,
    twilioMessageSid: () => `SM${next('twilio', 16).toString('hex')}`,
    twilioMediaSid: () => `ME${next('twilio-media', 16).toString('hex')}`,
    sesMessageId: () => `0100${next('ses-prefix', 6).toString('hex')}-${asUuid(next('ses', 16))}-000000`,
    mailgunMessageId: (domain, now) =>
      `<${mailgunStamp(now)}.${next('mailgun', 8).toString('hex')}@${domain}>`,
    mailgunEventId: () => next('mailgun-event', 16).toString('base64url').slice(0, 22),
    mailgunToken: () => next('mailgun-token', 25).toString('hex'),
    graphNumericId: () => numeric('graph-id', 16),
    fbtraceId: () => `A${next('fbtrace', 16).toString('base64url').slice(0, 22)}`,
    uuid: () => asUuid(next('uuid', 16)),
    hex: (length) =>
      next('hex', Math.ceil(length / 2))
        .toString('hex')
        .slice(0, length),
  };
};
