import { z } from 'zod';
import type { CallbackStep } from './callbacks.ts';
import type { Fault } from './faults.ts';
import {
  GRAPH_TOKEN_ERROR,
  type GraphErrorSpec,
  graphErrorReply,
  graphServerError,
  metaWebhookStep,
} from './graph.ts';
import { bearerToken } from './http-io.ts';
import { digitsOf } from './ids.ts';
import type { ProviderReply, SimContext, SimRequest } from './types.ts';
import { whatsAppErrorSpec, whatsAppStatusError } from './whatsapp-errors.ts';

/**
 * WhatsApp Cloud API: `POST /{version}/{phone-number-id}/messages` (sends and read/typing marks),
 * then the message's status webhooks to the hub's `/webhooks/whatsapp`.
 */

const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'template',
  'reaction',
] as const;
const MAX_TEXT = 4096;
const MAX_CALLBACK_DATA = 512;
const ROUTE = 'POST /{version}/{phone-number-id}/messages';
const WEBHOOK_PATH = '/webhooks/whatsapp';

const SendSchema = z.looseObject({
  messaging_product: z.string().optional(),
  recipient_type: z.enum(['individual', 'group']).optional(),
  to: z.string().min(1).optional(),
  recipient: z.string().min(1).optional(),
  type: z.string().optional(),
  context: z.looseObject({ message_id: z.string().min(1) }).optional(),
  biz_opaque_callback_data: z.string().optional(),
  text: z.looseObject({ body: z.string(), preview_url: z.boolean().optional() }).optional(),
  status: z.string().optional(),
  message_id: z.string().optional(),
  typing_indicator: z.looseObject({ type: z.string() }).optional(),
});
type Send = z.infer<typeof SendSchema>;

const invalid = (details: string, message = '(#100) Invalid parameter'): GraphErrorSpec => ({
  code: 100,
  message,
  details,
});

/** A template's envelope as the API takes it: a name, a language code, components of known types. */
const TemplateSchema = z.looseObject({
  name: z.string().min(1),
  language: z.looseObject({ code: z.string().min(1) }),
  components: z
    .array(
      z.discriminatedUnion('type', [
        z.looseObject({
          type: z.enum(['header', 'body']),
          parameters: z.array(z.looseObject({ type: z.string() })),
        }),
        z.looseObject({
          type: z.literal('button'),
          sub_type: z.enum(['quick_reply', 'url', 'copy_code', 'flow', 'catalog', 'mpm', 'voice_call']),
          index: z.string().regex(/^\d$/),
          parameters: z.array(z.looseObject({ type: z.string() })).optional(),
        }),
      ]),
    )
    .optional(),
});

const templateProblem = (template: unknown): GraphErrorSpec | undefined => {
  const parsed = TemplateSchema.safeParse(template);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return invalid(`Param template['${issue?.path.join("']['") ?? ''}'] is invalid.`);
};

/** What the API checks before accepting a send; undefined when it passes. */
const sendProblem = (send: Send, raw: Record<string, unknown>): GraphErrorSpec | undefined => {
  if (send.to === undefined && send.recipient === undefined) {
    return invalid('The parameter to is required.', '(#100) The parameter to is required.');
  }
  const type = send.type ?? 'text';
  if (!(MESSAGE_TYPES as readonly string[]).includes(type)) {
    return invalid(`Param type must be one of {${MESSAGE_TYPES.map((t) => t.toUpperCase()).join(', ')}}.`);
  }
  const content = raw[type];
  if (typeof content !== 'object' || content === null) {
    return invalid(`The parameter ${type} is required.`, `(#100) The parameter ${type} is required.`);
  }
  if (type === 'text') {
    if (send.text === undefined) return invalid("Param text['body'] is required.");
    if (send.text.body.length > MAX_TEXT) {
      return invalid(`Param text['body'] must be at most ${MAX_TEXT} characters long.`);
    }
  }
  if (type === 'template') {
    const problem = templateProblem(content);
    if (problem !== undefined) return problem;
  }
  if ((send.biz_opaque_callback_data?.length ?? 0) > MAX_CALLBACK_DATA) {
    return invalid(`Param biz_opaque_callback_data must be at most ${MAX_CALLBACK_DATA} characters long.`);
  }
  return undefined;
};

const readMarkProblem = (send: Send): GraphErrorSpec | undefined => {
  if (send.status !== 'read') return invalid('Param status must be read.');
  if (!send.message_id) {
    return invalid('The parameter message_id is required.', '(#100) The parameter message_id is required.');
  }
  if (send.typing_indicator && send.typing_indicator.type !== 'text') {
    return invalid("Param typing_indicator['type'] must be text.");
  }
  return undefined;
};

/** The phone number's WhatsApp Business Account and display number, made up but stable per id. */
const businessOf = (phoneNumberId: string) => ({
  wabaId: digitsOf(`waba:${phoneNumberId}`, 15),
  displayPhoneNumber: digitsOf(`display:${phoneNumberId}`, 11, '1'),
});

interface AcceptedSend {
  readonly phoneNumberId: string;
  readonly wamid: string;
  readonly send: Send;
  readonly type: string;
  readonly acceptedAt: number;
}

const statusItem = (
  accepted: AcceptedSend,
  status: string,
  atMs: number,
  extra: Record<string, unknown> = {},
) => {
  const { send } = accepted;
  const isTemplate = accepted.type === 'template';
  const priced = status === 'sent' || status === 'delivered';
  return {
    id: accepted.wamid,
    status,
    timestamp: String(Math.floor((accepted.acceptedAt + atMs) / 1000)),
    ...(send.to !== undefined
      ? { recipient_id: send.to.replace(/\D/g, '') }
      : { recipient_user_id: send.recipient }),
    ...(send.biz_opaque_callback_data !== undefined
      ? { biz_opaque_callback_data: send.biz_opaque_callback_data }
      : {}),
    // Per-message pricing (since July 2025; the conversation object is gone from v24.0 webhooks).
    ...(priced
      ? {
          pricing: isTemplate
            ? { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' }
            : { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
        }
      : {}),
    ...extra,
  };
};

const statusPayload = (accepted: AcceptedSend, item: Record<string, unknown>) => {
  const business = businessOf(accepted.phoneNumberId);
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: business.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: business.displayPhoneNumber,
                phone_number_id: accepted.phoneNumberId,
              },
              statuses: [item],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
};

const statusSteps = (
  accepted: AcceptedSend,
  fault: Fault | undefined,
  context: SimContext,
): CallbackStep[] => {
  const { delays } = context;
  const step = (status: string, atMs: number, extra?: Record<string, unknown>) =>
    metaWebhookStep(
      context,
      WEBHOOK_PATH,
      status,
      atMs,
      statusPayload(accepted, statusItem(accepted, status, atMs, extra)),
    );
  if (fault?.kind === 'delivery_failed') {
    return [step('failed', delays.sent, { errors: [whatsAppStatusError(fault.code ?? 131026)] })];
  }
  return [step('sent', delays.sent), step('delivered', delays.delivered), step('read', delays.read)];
};

/** A throttle, error or server-error fault as the API answers it; undefined for the other kinds. */
const faultSpec = (fault: Fault | undefined): GraphErrorSpec | undefined => {
  switch (fault?.kind) {
    case 'throttle':
      return whatsAppErrorSpec(130429);
    case 'error':
      return whatsAppErrorSpec(
        typeof fault.code === 'number' ? fault.code : 100,
        fault.subcode,
        fault.message,
      );
    case 'server_error':
      return graphServerError(fault.status ?? 500);
    default:
      return undefined;
  }
};

export const handleWhatsAppMessages = (
  request: SimRequest,
  phoneNumberId: string,
  body: Record<string, unknown>,
  context: SimContext,
): ProviderReply => {
  const base = { provider: 'whatsapp' as const, route: ROUTE, recordBody: body };
  if (!bearerToken(request.headers)) return graphErrorReply(GRAPH_TOKEN_ERROR, base, context);
  const parsed = SendSchema.safeParse(body);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join('.') ?? 'body';
    return graphErrorReply(invalid(`Param ${path} is not valid.`), base, context);
  }
  const send = parsed.data;
  if (send.messaging_product !== 'whatsapp') {
    return graphErrorReply(
      invalid(
        'The parameter messaging_product is required.',
        '(#100) The parameter messaging_product is required.',
      ),
      base,
      context,
    );
  }
  const isReadMark = send.status !== undefined;
  const problem = isReadMark ? readMarkProblem(send) : sendProblem(send, body);
  if (problem) return graphErrorReply(problem, base, context);

  const recipients = [send.to, send.recipient].filter((value): value is string => value !== undefined);
  const fault = context.takeFault({ provider: 'whatsapp', operation: 'send', recipients });
  const refused = faultSpec(fault);
  if (refused) return graphErrorReply(refused, { ...base, fault }, context);
  if (isReadMark) return { ...base, fault, status: 200, body: { json: { success: true } } };

  const type = send.type ?? 'text';
  const accepted: AcceptedSend = {
    phoneNumberId,
    wamid: context.ids.wamid(),
    send,
    type,
    acceptedAt: Date.now(),
  };
  const contact =
    send.to !== undefined
      ? { input: send.to, wa_id: send.to.replace(/\D/g, '') }
      : { input: send.recipient, user_id: send.recipient };
  return {
    ...base,
    fault,
    status: 200,
    body: {
      json: {
        messaging_product: 'whatsapp',
        contacts: [contact],
        messages: [{ id: accepted.wamid, ...(type === 'template' ? { message_status: 'accepted' } : {}) }],
      },
    },
    afterAccept: (record) => context.callbacks.run('whatsapp', statusSteps(accepted, fault, context), record),
  };
};
