import { z } from 'zod';
import { LOCAL_REGION } from '#shared/local/local-aws.ts';
import type { Fault } from './faults.ts';
import { bytesDigest, headerValue, readJson } from './http-io.ts';
import { summarizeMime } from './mime-summary.ts';
import { LOCAL_ACCOUNT_ID, type SentEmail, sesEventSteps } from './ses-events.ts';
import type { ProviderReply, SimContext, SimRequest } from './types.ts';

/**
 * Amazon SES v2 SendEmail: `POST /v2/email/outbound-emails` (JSON; SigV4 headers expected, not
 * verified) → `{MessageId}`; then, when the send named a configuration set, its events.
 */

const ROUTE = 'POST /v2/email/outbound-emails';
const MAX_RECIPIENTS = 50;
/** Tag names and values: ASCII letters, digits, `_` and `-`, at most 256 characters. */
const TAG_PART = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/);
const textContent = z.looseObject({ Data: z.string(), Charset: z.string().optional() });

const SendEmailSchema = z.looseObject({
  FromEmailAddress: z.string().min(1).optional(),
  Destination: z
    .looseObject({
      ToAddresses: z.array(z.string()).optional(),
      CcAddresses: z.array(z.string()).optional(),
      BccAddresses: z.array(z.string()).optional(),
    })
    .optional(),
  ReplyToAddresses: z.array(z.string()).optional(),
  ConfigurationSetName: z.string().min(1).optional(),
  EmailTags: z.array(z.looseObject({ Name: TAG_PART, Value: TAG_PART })).optional(),
  Content: z.looseObject({
    Raw: z.looseObject({ Data: z.base64() }).optional(),
    Simple: z
      .looseObject({
        Subject: textContent,
        Body: z.looseObject({ Text: textContent.optional(), Html: textContent.optional() }),
      })
      .optional(),
    Template: z.looseObject({}).optional(),
  }),
});
type SendEmail = z.infer<typeof SendEmailSchema>;

interface SesError {
  readonly type: string;
  readonly status: number;
  readonly message: string;
}

const ERRORS: Readonly<Record<string, Omit<SesError, 'type'>>> = {
  AccountSuspendedException: { status: 400, message: 'The account has been suspended from sending email.' },
  BadRequestException: { status: 400, message: 'The request is not valid.' },
  InternalFailure: { status: 500, message: 'The request processing has failed because of an unknown error.' },
  LimitExceededException: { status: 400, message: 'Maximum sending limit exceeded.' },
  MailFromDomainNotVerifiedException: { status: 400, message: 'The MAIL FROM domain is not verified.' },
  MessageRejected: {
    status: 400,
    message: `Email address is not verified. The following identities failed the check in region ${LOCAL_REGION.toUpperCase()}.`,
  },
  MissingAuthenticationTokenException: { status: 403, message: 'Missing Authentication Token' },
  NotFoundException: { status: 404, message: 'The configuration set does not exist.' },
  SendingPausedException: { status: 400, message: 'Sending is paused for this account.' },
  ServiceUnavailable: { status: 503, message: 'Service is unavailable. Please try again later.' },
  TooManyRequestsException: { status: 429, message: 'Too many requests.' },
};

/** The error types the simulated SES v2 knows, for the fault switches (./fault-switches.ts). */
export const SES_ERROR_TITLES: ReadonlyArray<readonly [type: string, title: string]> = Object.entries(
  ERRORS,
).map(([type, known]) => [type, known.message]);

const sesError = (type: string, message?: string): SesError => {
  const known = ERRORS[type] ?? { status: 400, message: type };
  return { type, status: known.status, message: message ?? known.message };
};

const errorReply = (
  error: SesError,
  base: Pick<ProviderReply, 'provider' | 'route' | 'recordBody' | 'fault'>,
  context: SimContext,
): ProviderReply => ({
  ...base,
  status: error.status,
  headers: { 'x-amzn-errortype': error.type, 'x-amzn-requestid': context.ids.uuid() },
  body: { json: { message: error.message } },
});

const faultError = (fault: Fault | undefined): SesError | undefined => {
  switch (fault?.kind) {
    case 'throttle':
      return sesError('TooManyRequestsException');
    case 'error':
      return sesError(typeof fault.code === 'string' ? fault.code : 'MessageRejected', fault.message);
    case 'server_error':
      return sesError(fault.status === 503 ? 'ServiceUnavailable' : 'InternalFailure');
    default:
      return undefined;
  }
};

/** The request as recorded: raw MIME only as its length and digest. */
const recordOf = (body: unknown): unknown => {
  const parsed = z.looseObject({ Content: z.looseObject({ Raw: z.looseObject({ Data: z.string() }) }) });
  const raw = parsed.safeParse(body);
  if (!raw.success) return body;
  const bytes = Buffer.from(raw.data.Content.Raw.Data, 'base64');
  return { ...raw.data, Content: { ...raw.data.Content, Raw: { Data: bytesDigest(bytes) } } };
};

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).replace(/>$/, '');

/** What SES knows of the message: sender, recipients and headers, from the request or the MIME. */
const describe = async (send: SendEmail) => {
  const raw = send.Content.Raw ? Buffer.from(send.Content.Raw.Data, 'base64') : undefined;
  const mime = raw ? await summarizeMime(raw) : undefined;
  const listed = [
    ...(send.Destination?.ToAddresses ?? []),
    ...(send.Destination?.CcAddresses ?? []),
    ...(send.Destination?.BccAddresses ?? []),
  ];
  const destination =
    listed.length > 0 ? listed : [...(mime?.to ?? []), ...(mime?.cc ?? []), ...(mime?.bcc ?? [])];
  const source = send.FromEmailAddress ?? mime?.fromHeader ?? mime?.from;
  const simple = send.Content.Simple;
  const to = send.Destination?.ToAddresses ?? mime?.to ?? [];
  const headers =
    mime?.headers ??
    (simple
      ? [
          { name: 'From', value: source ?? '' },
          { name: 'To', value: to.join(', ') },
          { name: 'Subject', value: simple.Subject.Data },
          { name: 'MIME-Version', value: '1.0' },
          { name: 'Content-Type', value: 'multipart/alternative' },
        ]
      : []);
  return { raw, mime, destination, source, to, subject: mime?.subject ?? simple?.Subject.Data, headers };
};

export const handleSes = async (request: SimRequest, context: SimContext): Promise<ProviderReply> => {
  const json = readJson(request.body);
  const base = {
    provider: 'ses' as const,
    route: ROUTE,
    recordBody: json.ok ? recordOf(json.value) : request.body.toString('utf8'),
  };
  if (request.pathname !== '/v2/email/outbound-emails' || request.method.toUpperCase() !== 'POST') {
    return errorReply(sesError('NotFoundException', 'Unknown operation.'), base, context);
  }
  if (!headerValue(request.headers, 'authorization')) {
    return errorReply(sesError('MissingAuthenticationTokenException'), base, context);
  }
  const parsed = SendEmailSchema.safeParse(json.ok ? json.value : undefined);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join('.') ?? 'body';
    return errorReply(sesError('BadRequestException', `Invalid value for ${path}.`), base, context);
  }
  const send = parsed.data;
  const { Raw, Simple, Template } = send.Content;
  if ([Raw, Simple, Template].filter(Boolean).length !== 1) {
    return errorReply(
      sesError('BadRequestException', 'Content must hold exactly one of Raw, Simple or Template.'),
      base,
      context,
    );
  }
  const described = await describe(send);
  if (Raw && !described.mime) {
    return errorReply(sesError('MessageRejected', 'Could not parse the raw message.'), base, context);
  }
  if (!described.source)
    return errorReply(sesError('BadRequestException', 'Missing FromEmailAddress.'), base, context);
  if (described.destination.length === 0) {
    return errorReply(sesError('BadRequestException', 'Missing final recipients.'), base, context);
  }
  if (described.destination.length > MAX_RECIPIENTS) {
    return errorReply(
      sesError('MessageRejected', `Recipient count exceeds ${MAX_RECIPIENTS}.`),
      base,
      context,
    );
  }

  const fault = context.takeFault({ provider: 'ses', operation: 'send', recipients: described.destination });
  const refused = faultError(fault);
  if (refused) return errorReply(refused, { ...base, fault }, context);

  const messageId = context.ids.sesMessageId();
  const fromDomain = domainOf(described.source);
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendEmail'],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['local'],
    ...(send.ConfigurationSetName ? { 'ses:configuration-set': [send.ConfigurationSetName] } : {}),
  };
  for (const tag of send.EmailTags ?? []) tags[tag.Name] = [tag.Value];
  const email: SentEmail = {
    messageId,
    acceptedAt: Date.now(),
    source: described.source,
    sourceArn: `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:identity/${fromDomain}`,
    destination: described.destination,
    headers: described.headers,
    commonHeaders: {
      from: [described.source],
      to: described.to,
      // The original Message-ID when the MIME had one; SES's own otherwise.
      messageId: described.mime?.messageId ?? messageId,
      ...(described.subject !== undefined ? { subject: described.subject } : {}),
    },
    tags,
  };
  const configurationSet = send.ConfigurationSetName;
  return {
    ...base,
    fault,
    status: 200,
    headers: { 'x-amzn-requestid': context.ids.uuid() },
    body: { json: { MessageId: messageId } },
    afterAccept: (record) => {
      // Events go only to a configuration set's destinations.
      if (!configurationSet) {
        context.log('simulators: ses send without ConfigurationSetName publishes no events (as SES)');
        return;
      }
      context.callbacks.run('ses', sesEventSteps(email, fault, context), record);
    },
  };
};
