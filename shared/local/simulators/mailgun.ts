import { z } from 'zod';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import type { CallbackStep } from './callbacks.ts';
import type { Fault } from './faults.ts';
import {
  basicAuth,
  bytesDigest,
  type FormFields,
  fieldsRecord,
  fileField,
  readForm,
  textFields,
} from './http-io.ts';
import { summarizeMime } from './mime-summary.ts';
import type { ProviderReply, SimContext, SimRequest } from './types.ts';

/**
 * Mailgun sending: `POST /v3/{domain}/messages.mime` (multipart, the raw MIME in `message`) and
 * `POST /v3/{domain}/messages` (fields), Basic auth `api:<key>` → `{id, message}`; then event
 * webhooks (JSON, signed in the body) to the hub's `/webhooks/email/mailgun/events`.
 */

const EVENTS_PATH = '/webhooks/email/mailgun/events';

const listOf = z.preprocess(
  (value) => (typeof value === 'string' ? [value] : value),
  z.array(z.string()).optional(),
);
const FieldsSchema = z.looseObject({
  to: listOf,
  cc: listOf,
  bcc: listOf,
  from: z.string().optional(),
  subject: z.string().optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  template: z.string().optional(),
  message: z.string().optional(),
  'o:tag': listOf,
  'h:X-Mailgun-Variables': z.string().optional(),
});
type Fields = z.infer<typeof FieldsSchema>;

/** Addresses of comma-separated `Name <address>` lists. */
const addressesOf = (values: readonly string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((value) => value.split(','))
    .map((entry) => (/<([^>]+)>/.exec(entry)?.[1] ?? entry).trim())
    .filter((address) => address.length > 0);

const userVariables = (fields: Fields, all: Record<string, string | string[]>): Record<string, unknown> => {
  const variables: Record<string, unknown> = {};
  const header = fields['h:X-Mailgun-Variables'];
  if (header !== undefined) {
    const parsed = z.record(z.string(), z.unknown()).safeParse(safeJson(header));
    if (parsed.success) Object.assign(variables, parsed.data);
  }
  for (const [name, value] of Object.entries(all)) {
    if (name.startsWith('v:')) variables[name.slice(2)] = Array.isArray(value) ? value[0] : value;
  }
  return variables;
};

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const reply = (
  base: Pick<ProviderReply, 'provider' | 'route' | 'recordBody' | 'fault'>,
  status: number,
  message: string,
): ProviderReply =>
  status === 401
    ? { ...base, status, body: { text: 'Forbidden', contentType: 'text/plain' } }
    : { ...base, status, body: { json: { message } } };

const FAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: "'to' parameter is not a valid address. please check documentation",
  402: 'Payment required.',
  403: 'Domain is not allowed to send: it is disabled.',
  404: 'Domain not found',
  413: 'Message size exceeds the limit.',
  429: 'Too many requests, please try again later.',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The HTTP errors the simulated Mailgun answers with, for the fault switches (./fault-switches.ts). */
export const MAILGUN_ERROR_TITLES: ReadonlyArray<readonly [status: number, title: string]> = Object.entries(
  FAULT_MESSAGES,
).map(([status, message]) => [Number(status), message]);

const faultReply = (
  fault: Fault | undefined,
  base: Pick<ProviderReply, 'provider' | 'route' | 'recordBody'>,
) => {
  const status =
    fault?.kind === 'throttle'
      ? 429
      : fault?.kind === 'error'
        ? Number(fault.code)
        : fault?.kind === 'server_error'
          ? (fault.status ?? 500)
          : undefined;
  if (status === undefined || !fault) return undefined;
  const message = (fault.kind === 'error' ? fault.message : undefined) ?? FAULT_MESSAGES[status] ?? 'Error';
  return reply({ ...base, fault }, status, message);
};

/** The request as recorded: the raw MIME only as its length and digest. */
const recordOf = (form: FormFields): Record<string, unknown> => {
  const record = fieldsRecord(form);
  const message = record.message;
  if (typeof message === 'string') record.message = bytesDigest(Buffer.from(message, 'utf8'));
  return record;
};

interface AcceptedMail {
  readonly id: string;
  readonly acceptedAt: number;
  readonly from: string;
  readonly recipients: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly size: number;
  readonly tags: readonly string[];
  readonly variables: Readonly<Record<string, unknown>>;
}

const eventStep = (
  mail: AcceptedMail,
  recipient: string,
  atMs: number,
  fault: Fault | undefined,
  context: SimContext,
): CallbackStep => {
  const failed = fault?.kind === 'delivery_failed';
  const permanent = !failed || (fault.severity ?? 'permanent') === 'permanent';
  const timestamp = String(Math.floor(Date.now() / 1000));
  const token = context.ids.mailgunToken();
  const deliveryStatus = failed
    ? permanent
      ? {
          code: 550,
          message: '5.1.1 The email account that you tried to reach does not exist.',
          description: 'Not delivered: the recipient does not exist.',
          'attempt-no': 1,
          'bounce-code': '5.1.1',
        }
      : {
          code: 452,
          message: '4.2.2 The email account that you tried to reach is over quota.',
          description: 'Delivery will be retried: the mailbox is full.',
          'attempt-no': 1,
          'retry-seconds': 600,
        }
    : {
        code: 250,
        message: 'OK',
        description: '',
        'attempt-no': 1,
        tls: true,
        'mx-host': 'mx.local.invalid',
        'certificate-verified': true,
        'session-seconds': 0.1,
      };
  const eventData = {
    id: context.ids.mailgunEventId(),
    timestamp: (mail.acceptedAt + atMs) / 1000,
    'log-level': failed ? (permanent ? 'error' : 'warn') : 'info',
    event: failed ? 'failed' : 'delivered',
    ...(failed
      ? { severity: permanent ? 'permanent' : 'temporary', reason: permanent ? 'bounce' : 'generic' }
      : {}),
    envelope: { transport: 'smtp', sender: mail.from, 'sending-ip': '127.0.0.1', targets: recipient },
    flags: { 'is-authenticated': true, 'is-routed': false, 'is-system-test': false, 'is-test-mode': false },
    'delivery-status': deliveryStatus,
    message: { headers: mail.headers, attachments: [], size: mail.size },
    recipient,
    'recipient-domain': recipient.slice(recipient.lastIndexOf('@') + 1),
    campaigns: [],
    tags: mail.tags,
    'user-variables': mail.variables,
  };
  return {
    event: failed ? 'failed' : 'delivered',
    atMs,
    url: `${context.hubBaseUrl}${EVENTS_PATH}`,
    headers: { 'content-type': 'application/json', 'user-agent': 'mailgun/webhooks' },
    body: JSON.stringify({
      signature: {
        timestamp,
        token,
        signature: signMailgun(context.secrets.mailgun.signingKey, timestamp, token),
      },
      'event-data': eventData,
    }),
  };
};

export const handleMailgun = async (request: SimRequest, context: SimContext): Promise<ProviderReply> => {
  const match = /^\/v3\/([^/]+)\/(messages|messages\.mime)$/.exec(request.pathname);
  const form = await readForm(request.body, request.headers);
  const isMime = match?.[2] === 'messages.mime';
  const route = `POST /v3/{domain}/${isMime ? 'messages.mime' : 'messages'}`;
  const base = { provider: 'mailgun' as const, route, recordBody: form ? recordOf(form) : null };
  if (!match || request.method.toUpperCase() !== 'POST') return reply(base, 404, 'Not Found');
  const auth = basicAuth(request.headers);
  if (auth?.user !== 'api' || auth.password.length === 0) return reply(base, 401, 'Forbidden');
  if (!form) return reply(base, 400, 'The request body must be multipart/form-data or form-urlencoded');
  const domain = decodeURIComponent(match[1] ?? '');
  const all = textFields(form);
  const fields = FieldsSchema.parse(all);
  const recipients = [...addressesOf(fields.to), ...addressesOf(fields.cc), ...addressesOf(fields.bcc)];
  if (!fields.to?.length) return reply(base, 400, "'to' parameter is missing");

  const mimeBytes = isMime
    ? (fileField(form, 'message')?.bytes ??
      (fields.message !== undefined ? Buffer.from(fields.message, 'utf8') : undefined))
    : undefined;
  if (isMime && !mimeBytes) return reply(base, 400, "'message' parameter is missing");
  const mime = mimeBytes ? await summarizeMime(mimeBytes) : undefined;
  if (isMime && !mime) return reply(base, 400, "'message' parameter is not a valid MIME message");
  // The raw message is recorded as its digest; its attachments as theirs, so a test can check each file.
  const recorded =
    mime && base.recordBody
      ? { ...base, recordBody: { ...base.recordBody, attachments: mime.attachments } }
      : base;
  if (!isMime) {
    if (!fields.from) return reply(recorded, 400, "'from' parameter is missing");
    if (fields.text === undefined && fields.html === undefined && fields.template === undefined) {
      return reply(recorded, 400, "Need at least one of 'text', 'html' or 'template' parameters specified");
    }
  }

  const fault = context.takeFault({ provider: 'mailgun', operation: 'send', recipients });
  const refused = faultReply(fault, recorded);
  if (refused) return refused;

  const acceptedAt = Date.now();
  // Mailgun keeps the Message-ID a MIME send carries (the hub's own, which its statuses and
  // bounces name: shared/channels/email/ses-message-id.ts) and makes one up otherwise. Until
  // 2026-12-06 this simulator always made one up, so no local run saw the ids Mailgun gives.
  const id = mime?.messageId
    ? `<${mime.messageId.replace(/^<|>$/g, '')}>`
    : context.ids.mailgunMessageId(domain, new Date(acceptedAt));
  const from = mime?.fromHeader ?? fields.from ?? '';
  const subject = mime?.subject ?? fields.subject;
  const mail: AcceptedMail = {
    id,
    acceptedAt,
    from: mime?.from ?? addressesOf(fields.from ? [fields.from] : [])[0] ?? '',
    recipients,
    headers: {
      to: fields.to.join(', '),
      // Mailgun reports the id without angle brackets.
      'message-id': id.slice(1, -1),
      from,
      ...(subject !== undefined ? { subject } : {}),
    },
    size: mimeBytes?.length ?? Buffer.byteLength(`${fields.text ?? ''}${fields.html ?? ''}`),
    tags: fields['o:tag'] ?? [],
    variables: userVariables(fields, all),
  };
  const atMs = context.delays.delivered;
  return {
    ...recorded,
    fault,
    status: 200,
    body: { json: { id, message: 'Queued. Thank you.' } },
    afterAccept: (record) =>
      context.callbacks.run(
        'mailgun',
        mail.recipients.map((recipient) => eventStep(mail, recipient, atMs, fault, context)),
        record,
      ),
  };
};
