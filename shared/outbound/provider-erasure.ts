import type { SecretSection } from '#shared/channels/registry.ts';
import { createTwilioRedactor, type TwilioRedaction } from '#shared/channels/sms/outbound/redact.ts';
import { createWhatsAppMediaDeleter } from '#shared/channels/whatsapp/outbound/delete-media.ts';
import {
  type ChannelSecrets,
  metaAccessTokenFor,
  sectionOf,
  twilioAccountFor,
  twilioLogin,
} from '#shared/config/secrets.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import type { ProviderRedactions } from '#shared/store/erasure.ts';
import { kindOfKey } from '#shared/store/keys.ts';
import { storedMessageOf } from '#shared/store/messages.ts';
import {
  isKeepableRedaction,
  pendingRedactionOf,
  type UnfinishedRedaction,
} from '#shared/store/pending-redactions.ts';
import { storedSendOf } from '#shared/store/sends.ts';
import { whatsappUploadOf } from '#shared/store/whatsapp-uploads.ts';

/*
 * Provider-side erasure: what a provider keeps of the person's messages, removed where it allows.
 *
 * - Twilio (SMS, MMS and WhatsApp through Twilio): every message the person's records name, inbound
 *   or sent by the hub, has its body redacted and its media deleted (shared/channels/sms/outbound/redact.ts),
 *   in the account the sender uses for its endpoint (`twilioAccountFor`), with the channel
 *   secret's Twilio credentials for it (a further account's own login, else the main account's).
 * - Meta (Messenger, WhatsApp Cloud API): no API deletes message content (Meta keeps it at most
 *   30 days). The files the hub uploaded to WhatsApp for its sends (their media ids are kept in the
 *   sends' partitions, shared/store/whatsapp-uploads.ts) are deleted (`DELETE /{media-id}`) with the
 *   channel secret's token for the phone number, as the sender uploaded them.
 *
 * Bounded: a few tries per request, a few requests at once, one time budget for all of them (the
 * erasure runs inside an API call). Whatever is not done is counted as failed, logged by code and
 * returned as unfinished (the erasure keeps it for the next call to retry), never thrown: the hub's
 * own erasure goes on. A failure no retry can change (a message id not in Twilio's format, which the
 * redactor never sends) is counted and logged but not returned: nothing would ever finish it.
 */

/**
 * A provider's credentials from the secrets read, or why they are not there to use: the error's name
 * when the provider's secret could not be read just now (the redaction is kept and tried again).
 */
const sectionOrCode = <S extends SecretSection>(
  secrets: ChannelSecrets | undefined,
  section: S,
): { readonly value?: ChannelSecrets[S]; readonly code?: string } => {
  if (secrets === undefined) return {};
  try {
    return { value: sectionOf(secrets, section) };
  } catch (error) {
    return { code: errorNameOf(error) };
  }
};

export const PROVIDER_ERASURE = {
  /** Messages redacted at once (each one request at a time). */
  concurrency: 8,
  /** Tries per request, the first included (throttling, 5xx and lost connections only). */
  attempts: 3,
  /** Longest wait for one answer. */
  timeoutMs: 3_000,
  /**
   * All provider calls of one erasure together: inside the helpdesk API function's timeout
   * (HELPDESK_API.timeoutSeconds, 29 s) with the table's work, and the sweeper's retries inside its own.
   */
  budgetMs: 5_000,
} as const;

export interface ProviderErasureOptions {
  /** The channel secret: its Twilio section's auth token and account SID. */
  readonly secrets: () => Promise<ChannelSecrets>;
  /** `https://api.twilio.com`; the local simulator in development. */
  readonly twilioApiUrl: string;
  /** `https://graph.facebook.com` and its version, as the sender uses them (the WhatsApp uploads' deletion). */
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly settings?: Partial<Record<keyof typeof PROVIDER_ERASURE, number>>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface TwilioMessage {
  readonly sid: string;
  readonly endpoint: BusinessEndpoint;
}

/**
 * The Twilio messages the stored items name, each once: a message record's provider ids (inbound,
 * or every provider message a hub send became), a send's bookkeeping (the ids Twilio accepted,
 * and the ones the recorder linked to it, for a send whose record was never written), and the
 * messages an earlier erasure of the person could not redact.
 */
export const twilioMessagesIn = (items: readonly Record<string, unknown>[]): TwilioMessage[] => {
  const found = new Map<string, BusinessEndpoint>();
  const add = (sids: readonly string[], endpoint: BusinessEndpoint) => {
    for (const sid of sids) if (!found.has(sid)) found.set(sid, endpoint);
  };
  for (const item of items) {
    const kind = kindOfKey({ pk: String(item.pk), sk: String(item.sk) });
    if (kind === 'message') {
      const message = storedMessageOf(item)?.message;
      if (message?.provider === 'twilio')
        add([message.providerMessageId, ...(message.providerMessageIds ?? [])], message.endpoint);
    } else if (kind === 'send') {
      const send = storedSendOf(item);
      if (send?.plan?.provider === 'twilio')
        add([...send.providerIds, ...Object.values(send.links)], send.plan.endpoint);
    } else if (kind === 'pendingRedaction') {
      const pending = pendingRedactionOf(item);
      if (pending?.provider === 'twilio') add([pending.providerMessageId], pending.endpoint);
    }
  }
  return [...found].map(([sid, endpoint]) => ({ sid, endpoint }));
};

/** The hub's WhatsApp uploads the items name, each once: the send's upload items and those an earlier erasure left. */
export const whatsappUploadsIn = (items: readonly Record<string, unknown>[]): WhatsAppUploadJob[] => {
  const found = new Map<string, BusinessEndpoint>();
  for (const item of items) {
    const upload = whatsappUploadOf(item);
    const pending = upload ? undefined : pendingRedactionOf(item);
    const mediaId = upload?.mediaId ?? (pending?.provider === 'whatsapp' ? pending.mediaId : undefined);
    const endpoint = upload?.endpoint ?? pending?.endpoint;
    if (mediaId !== undefined && endpoint !== undefined && !found.has(mediaId)) found.set(mediaId, endpoint);
  }
  return [...found].map(([mediaId, endpoint]) => ({ mediaId, endpoint }));
};

interface WhatsAppUploadJob {
  readonly mediaId: string;
  readonly endpoint: BusinessEndpoint;
}

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Redactions = ProviderRedactions & { readonly unfinished: readonly UnfinishedRedaction[] };

/** `redactAtProviders` for erasePerson (shared/store/erasure.ts). Never throws. */
export const createProviderErasure =
  (options: ProviderErasureOptions) =>
  async (items: readonly Record<string, unknown>[]): Promise<Redactions> => {
    const settings = { ...PROVIDER_ERASURE, ...options.settings };
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? sleepFor;
    const messages = twilioMessagesIn(items);
    const uploads = whatsappUploadsIn(items);
    const twilio = { messages: 0, media: 0, failed: 0 };
    const whatsapp = { uploads: 0, failed: 0 };
    const codes = new Set<string>();
    const unfinished: UnfinishedRedaction[] = [];
    /**
     * Kept to retry, unless no retry can succeed (`final`: the redactor refused the message's id for
     * good) or the store could not keep it: counted failed either way. Until 2026-12-06 a refused id
     * was kept too, under a key of the id itself, and the erasure answered 500 for ever for one over
     * about 1,000 characters (found by a review).
     */
    const keep = (left: UnfinishedRedaction, final: boolean) => {
      if (!final && isKeepableRedaction(left)) unfinished.push(left);
    };
    const twilioFailed = (message: TwilioMessage, code: string, final = false) => {
      twilio.failed++;
      codes.add(code);
      keep({ provider: 'twilio', providerMessageId: message.sid, endpoint: message.endpoint, code }, final);
    };
    const uploadFailed = (upload: WhatsAppUploadJob, code: string) => {
      whatsapp.failed++;
      codes.add(code);
      keep({ provider: 'whatsapp', mediaId: upload.mediaId, endpoint: upload.endpoint, code }, false);
    };
    if (messages.length === 0 && uploads.length === 0) return { twilio, whatsapp, unfinished };
    let secrets: ChannelSecrets | undefined;
    try {
      secrets = await options.secrets();
    } catch (error) {
      codes.add(errorNameOf(error));
    }
    const started = now();
    const remainingMs = () => settings.budgetMs - (now() - started);
    const jobs: (() => Promise<void>)[] = [];
    const twilioSection = sectionOrCode(secrets, 'twilio');
    const section = twilioSection.value;
    if (!section)
      for (const message of messages)
        twilioFailed(message, twilioSection.code ?? 'switchboard.no_twilio_credentials');
    else {
      // The main account's login reaches its subaccounts' messages; without an account SID the token
      // is tried as the message's own account's. A further account's messages use its own login.
      const login = twilioLogin(section);
      const redactor = createTwilioRedactor({
        apiBaseUrl: options.twilioApiUrl,
        credentials: login ? { login } : { authToken: section.authToken },
        timeoutMs: settings.timeoutMs,
        attempts: settings.attempts,
        remainingMs,
        sleep,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      for (const message of messages)
        jobs.push(async () => {
          // The account the sender uses for the endpoint, and that account's own login if it has one.
          const { accountSid, login: accountLogin } = twilioAccountFor(section, message.endpoint);
          if (accountSid === undefined) return twilioFailed(message, 'switchboard.no_account_sid');
          const credentials = accountLogin ? { credentials: { login: accountLogin } } : {};
          const result: TwilioRedaction = await redactor
            .redact({ accountSid, sid: message.sid, ...credentials })
            .catch((error: unknown) => ({ kind: 'failed', media: 0, code: errorNameOf(error) }));
          twilio.media += result.media;
          if (result.kind === 'redacted') twilio.messages++;
          else twilioFailed(message, result.code, result.final === true);
        });
    }
    const metaSection = sectionOrCode(secrets, 'meta');
    const meta = metaSection.value;
    const deleteUpload = createWhatsAppMediaDeleter({
      graphBaseUrl: options.graphApiUrl,
      apiVersion: options.graphApiVersion,
      timeoutMs: settings.timeoutMs,
      attempts: settings.attempts,
      remainingMs,
      sleep,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    for (const upload of uploads)
      jobs.push(async () => {
        // The token the sender uploaded with (shared/outbound/senders.ts).
        const token = metaAccessTokenFor(meta, upload.endpoint.id);
        if (!token) return uploadFailed(upload, metaSection.code ?? 'switchboard.no_meta_token');
        const result = await deleteUpload({
          mediaId: upload.mediaId,
          phoneNumberId: upload.endpoint.id,
          token,
        }).catch((error: unknown) => ({ kind: 'failed' as const, code: errorNameOf(error) }));
        if (result.kind === 'deleted') whatsapp.uploads++;
        else uploadFailed(upload, result.code);
      });
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, jobs.length) }, worker));
    if (twilio.failed > 0 || whatsapp.failed > 0)
      options.logger.warn('provider-side erasure incomplete: a provider keeps some of what was erased', {
        reason: twilio.failed > 0 ? 'twilio' : 'whatsapp',
        failedCount: twilio.failed + whatsapp.failed,
        errorCodes: [...codes].sort(),
      });
    return { twilio, whatsapp, unfinished };
  };
