import { z } from 'zod';
import { ContactMergeDataSchema, MAX_COMMAND_BYTES } from '#shared/contract/index.ts';
import { MAX_MERGE_DEPTH, MAX_MERGED_PEOPLE } from '#shared/store/person-merges.ts';
import { SEND_REQUEUE_SECONDS, SEND_RESERVATION_SECONDS } from '#shared/store/send-reservations.ts';
import { bodyLimitOf, escapedLimitOf } from './body-limit.ts';
import type { ProblemKind } from './http.ts';
import { PAGE_BUDGET_BYTES } from './page-budget.ts';
import {
  CommandAcceptedSchema,
  ConsentHistorySchema,
  ConsentRecordedSchema,
  ContactBodySchema,
  ContactErasureSchema,
  ConversationPageSchema,
  ConversationSchema,
  EmailBodyDownloadSchema,
  MediaDownloadSchema,
  MediaUploadSchema,
  MessagePageSchema,
  PersonExportSchema,
  SendAcceptedSchema,
} from './responses.ts';
import {
  ANY_VERSION_ATTEMPTS,
  ConsentChangeSchema,
  ConsentHistoryQuerySchema,
  ContactConversationsQuerySchema,
  ContactIdSchema,
  ContactMergeRequestSchema,
  ConversationIdSchema,
  ConversationPatchSchema,
  EmailBodyKindSchema,
  ExportQuerySchema,
  HubMessageIdSchema,
  IdempotencyKeyHeaderSchema,
  IfMatchSchema,
  ListConversationsQuerySchema,
  ListMessagesQuerySchema,
  MarkReadRequestSchema,
  MediaUploadRequestSchema,
  NoQuerySchema,
  PartIndexSchema,
  SendMessageRequestSchema,
  TypingRequestSchema,
} from './schemas.ts';

/*
 * Every operation of the helpdesk API in one list: its route (what API Gateway and the local hub
 * serve), the largest body it takes, and its contract (what the handlers parse, what they answer).
 * The router dispatches by it, CDK adds its routes from it, and the OpenAPI document is generated
 * from it, so none of the three can describe an endpoint the others do not.
 */

const ConversationPath = z.object({ conversationId: ConversationIdSchema });
const ContactPath = z.object({ contactId: ContactIdSchema });

/** The problems every operation may answer besides its own: bad input, no credentials, a fault. */
export const COMMON_PROBLEMS = [
  'invalidRequest',
  'unauthorized',
  'internal',
] as const satisfies ProblemKind[];

interface OperationContract {
  readonly summary: string;
  readonly description?: string;
  readonly pathParams?: z.ZodObject;
  readonly query?: z.ZodType<unknown, Record<string, unknown>>;
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly success: {
    readonly status: 200 | 201 | 202;
    readonly description: string;
    readonly schema: z.ZodType;
    /** The response carries the conversation's version (and a creation marker) as a strong ETag. */
    readonly etag?: true;
  };
  readonly problems: readonly ProblemKind[];
}

export interface ApiOperation extends OperationContract {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** The handler's name, also the OpenAPI operationId. */
  readonly handler: string;
  /**
   * Largest body in bytes (a larger one is 413); 0 for none. Without it, sized from `body`'s schema
   * on first use (`maxBodyOf`, ./body-limit.ts), so the two cannot drift; a send's from the command it
   * becomes, every character escaped.
   */
  readonly maxBody?: number;
  /**
   * What the route does, for access control: `read` (reads conversations and messages), `write`
   * (changes them or sends), `people` (a person's export, erasure, merges: the data-protection
   * rights). A JWT-authorized deployment with scopes requires `<prefix>/<access>` (infra/config.ts).
   */
  readonly access: ApiAccess;
}

export const API_ACCESS = ['read', 'write', 'people'] as const;
export type ApiAccess = (typeof API_ACCESS)[number];

/**
 * The catch-all routes (authorized like the others) that hand API Gateway's unmatched requests, an
 * unknown path or a method a path does not take, to the router: its 404 or 405 as problem+json, not
 * API Gateway's bare `{"message":"Not Found"}`. They run no handler (shared/api/router.ts). One per
 * method but OPTIONS, not `ANY`: an authorized `ANY` route would take a browser's CORS preflight,
 * which API Gateway answers itself only while no route of its method matches.
 */
export const API_CATCH_ALL = {
  path: '/v1/{proxy+}',
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
} as const;
export const isCatchAllRouteKey = (routeKey: string | undefined): boolean =>
  API_CATCH_ALL.methods.some((method) => routeKey === `${method} ${API_CATCH_ALL.path}`);

export const API_ROUTES = [
  {
    method: 'GET',
    path: '/v1/conversations',
    handler: 'listConversations',
    access: 'read',
    maxBody: 0,
    summary: 'List conversations',
    description:
      "Open conversations by last activity (default), conversations of a status, or those whose customer waits for an answer (`waiting=true`), longest wait first (exactly, across pages). Filters by channel, endpoint, contact, assignee and label; cursor paging. By last activity, the order is by the hour of last activity across pages, and exact within a page: a later page may hold a conversation active later in the same hour than an earlier page's last (the index keeps the hour, not the time, so a busy conversation does not rewrite it on every message). With `contact`, the person's conversations are in exact order of last activity (then id) across pages.",
    query: ListConversationsQuerySchema,
    success: { status: 200, description: 'A page of conversations.', schema: ConversationPageSchema },
    problems: [],
  },
  {
    method: 'GET',
    path: '/v1/conversations/{conversationId}',
    handler: 'getConversation',
    access: 'read',
    maxBody: 0,
    summary: 'Read a conversation',
    pathParams: ConversationPath,
    success: {
      status: 200,
      description: 'The conversation; `ETag` is its version with a marker of its creation, for `If-Match`.',
      schema: ConversationSchema,
      etag: true,
    },
    problems: ['notFound'],
  },
  {
    method: 'PATCH',
    path: '/v1/conversations/{conversationId}',
    handler: 'patchConversation',
    access: 'write',
    summary: 'Change status, snooze, assignee, labels or priority',
    description: `Conditional on the version read (\`If-Match\`). Each change is also a \`switchboard.conversation.state_changed\` event on the helpdesk stream, saying who changed what; 200 only once that event is queued. Retrying the same change after a lost answer answers as the change did. A 5xx may follow a change that was saved: it is still announced (by the retry, a later PATCH, or within about two minutes by the hub itself), and a retry made after another write answers 412 while the change stands. With \`If-Match: *\`, or a list that names the version that write made, a write by another (a customer's message) between the read and the save does not refuse the change: it is applied again to the version then current, and only after ${ANY_VERSION_ATTEMPTS} such races in a row is it a 409 (\`conflict\`), nothing changed.`,
    pathParams: ConversationPath,
    headers: z.object({ 'If-Match': IfMatchSchema }),
    body: ConversationPatchSchema,
    success: {
      status: 200,
      description: 'The changed conversation.',
      schema: ConversationSchema,
      etag: true,
    },
    problems: [
      'notFound',
      'conflict',
      'preconditionFailed',
      'preconditionRequired',
      'tooLarge',
      'unsupportedMediaType',
    ],
  },
  {
    method: 'GET',
    path: '/v1/conversations/{conversationId}/messages',
    handler: 'listMessages',
    access: 'read',
    maxBody: 0,
    summary: "Page a conversation's messages",
    description: `Both ways, each with its live state (status, reactions, edit, deletion). Items are oldest first on every page. A page can hold fewer than \`limit\` messages: it ends before the message that would take the answer past ${PAGE_BUDGET_BYTES / 1024 / 1024} MiB (each counted as its JSON escaped once more, as Lambda returns it, well under its 6 MB limit; a stored message is at most 64 KB), and its cursor goes on from there.`,
    pathParams: ConversationPath,
    query: ListMessagesQuerySchema,
    success: { status: 200, description: 'A page of messages.', schema: MessagePageSchema },
    problems: [],
  },
  {
    method: 'POST',
    path: '/v1/conversations/{conversationId}/messages',
    handler: 'sendMessage',
    access: 'write',
    // The body becomes part of a command the sender takes at most MAX_COMMAND_BYTES of, as UTF-8 JSON:
    // the raw body may be up to 6 times that with every character escaped (Python's json.dumps writes
    // any non-ASCII one as `\uXXXX`), and the command as it is written again is what the handler
    // measures (413 above). Until 2026-12-06 the raw body was held to MAX_COMMAND_BYTES, which refused
    // an escaped body whose command fit (found by a review, tests/api/body-limits.test.ts).
    maxBody: escapedLimitOf(MAX_COMMAND_BYTES),
    summary: 'Send a message',
    description: `Queues the send command. It ends in exactly one \`switchboard.message.sent\` or \`switchboard.message.send_failed\` event for \`hubMessageId\`; the same \`Idempotency-Key\` never sends twice. The command (the body with its envelope, as JSON written again in UTF-8, whichever characters the body escaped as \`\\uXXXX\`) must fit in the sender's command limit of ${MAX_COMMAND_BYTES} bytes (${MAX_COMMAND_BYTES / 1024} KiB): a larger one is refused with 413 and nothing is queued. A key already used in the conversation for other content (another body, even one field) is refused with 422 and nothing is queued, however soon after the first request it comes (the key holds its content for ${SEND_RESERVATION_SECONDS / 86_400} days after the last request with it). A repeat of the same body is answered 202 as the first was; it is queued again only within ${SEND_REQUEUE_SECONDS / 86_400} days of the key's first request, and later nothing is queued (the sender may have forgotten the first by then, and would send it a second time). A request answered with a 5xx may have taken the key with nothing queued: retry it with the same body within those ${SEND_REQUEUE_SECONDS / 86_400} days.`,
    pathParams: ConversationPath,
    headers: z.object({ 'Idempotency-Key': IdempotencyKeyHeaderSchema }),
    body: SendMessageRequestSchema,
    success: { status: 202, description: 'Queued.', schema: SendAcceptedSchema },
    problems: ['notFound', 'idempotencyKeyReused', 'tooLarge', 'unsupportedMediaType'],
  },
  {
    method: 'POST',
    path: '/v1/conversations/{conversationId}/read',
    handler: 'markRead',
    access: 'write',
    summary: "Mark the customer's messages read (best effort)",
    pathParams: ConversationPath,
    body: MarkReadRequestSchema,
    success: { status: 202, description: 'Queued.', schema: CommandAcceptedSchema },
    problems: ['notFound', 'tooLarge', 'unsupportedMediaType'],
  },
  {
    method: 'POST',
    path: '/v1/conversations/{conversationId}/typing',
    handler: 'typing',
    access: 'write',
    summary: 'Show a typing indicator (best effort)',
    pathParams: ConversationPath,
    body: TypingRequestSchema,
    success: { status: 202, description: 'Queued.', schema: CommandAcceptedSchema },
    problems: ['notFound', 'tooLarge', 'unsupportedMediaType'],
  },
  {
    method: 'GET',
    path: '/v1/messages/{hubMessageId}/media/{partIndex}',
    handler: 'getMessageMedia',
    access: 'read',
    maxBody: 0,
    summary: "A download URL of a message's attachment",
    description:
      "A presigned GET of the hub's copy of a media part (`partIndex` in the message's `parts`), valid for 5 minutes: an attachment the media fetcher stored, an e-mail attachment, a file sent by `s3Key`. 404 for an unknown or erased message, a part index it does not have, or a part that is not media; `media-not-kept` (404) for Instagram media, which stays at Meta; `media-not-stored` (409, with `Retry-After`) while the copy is queued or under way; `media-failed` (410) with the `reason` of its `message.media_failed`.",
    pathParams: z.object({ hubMessageId: HubMessageIdSchema, partIndex: PartIndexSchema }),
    success: { status: 200, description: 'A download URL.', schema: MediaDownloadSchema },
    problems: ['notFound', 'mediaNotKept', 'mediaNotStored', 'mediaFailed'],
  },
  {
    method: 'GET',
    path: '/v1/messages/{hubMessageId}/body/{kind}',
    handler: 'getMessageBody',
    access: 'read',
    maxBody: 0,
    summary: "A download URL of an e-mail's body stored apart",
    description:
      "A presigned GET of an e-mail body too large for the message, which the hub stored in its bucket: the HTML (`html`, the message's `email.htmlBodyKey`) or the text (`text`, its `email.textBodyKey`), valid for 5 minutes and answering as a download (`body.html`, `body.txt`), never as a page. 404 for an unknown or erased message, one with no such body stored apart (a body that fits is in the message itself: `email.htmlBody`, `email.textBody`), or a body gone with the bucket's retention.",
    pathParams: z.object({ hubMessageId: HubMessageIdSchema, kind: EmailBodyKindSchema }),
    success: { status: 200, description: 'A download URL.', schema: EmailBodyDownloadSchema },
    problems: ['notFound'],
  },
  {
    method: 'POST',
    path: '/v1/media',
    handler: 'createMediaUpload',
    access: 'write',
    summary: 'An upload URL for a file to send',
    description:
      "A fresh key under `media/outbound/` and a presigned PUT for it, valid for 15 minutes and bound to the type and size given (the types any channel sends, up to 100 MiB). Upload the file with the headers given, then name the key in a send's media part (`source: { s3Key }`). The key never holds the file's name (keys reach S3's access logs): a `filename` travels as the object's `Content-Disposition`, which the upload's headers carry. Nothing is recorded: an unused key costs nothing, and uploads expire with the bucket's retention.",
    body: MediaUploadRequestSchema,
    success: { status: 201, description: 'Where to upload.', schema: MediaUploadSchema },
    problems: ['tooLarge', 'unsupportedMediaType'],
  },
  {
    method: 'GET',
    path: '/v1/contacts/{contactId}',
    handler: 'getContact',
    access: 'read',
    maxBody: 0,
    summary: 'Read a contact',
    pathParams: ContactPath,
    success: { status: 200, description: 'The contact.', schema: ContactBodySchema },
    problems: ['notFound'],
  },
  {
    method: 'DELETE',
    path: '/v1/contacts/{contactId}',
    handler: 'eraseContact',
    access: 'people',
    maxBody: 0,
    summary: 'Erase a person everywhere (right to erasure)',
    description:
      "Deletes every record of the person on every channel (conversations, messages and their states, contact and identity items, send bookkeeping), the payload objects they name and their conversations' claim checks; redacts their Twilio messages at Twilio first (bodies emptied, media deleted; best effort, counted); leaves only bare tombstones of the erased messages, sends and unreadable e-mails (a provider retry of an old webhook, a redelivered event, or a send command or `Idempotency-Key` retry that comes back, brings nothing back) and their opt-outs under a hash (a STOP outlives erasure). Publishes `switchboard.contact.erased`. Running it again erases what is left in the hub.",
    pathParams: ContactPath,
    success: {
      status: 200,
      description: "Erased; the event's data, with what the providers did.",
      schema: ContactErasureSchema,
    },
    problems: ['notFound', 'conflict'],
  },
  {
    method: 'POST',
    path: '/v1/contacts/{contactId}/consent',
    handler: 'setConsent',
    access: 'write',
    summary: "Record a customer's consent on a channel, with its evidence",
    description:
      'For a customer who opted out or in another way than by the provider (on the phone, by e-mail to an agent). Written to the same consent registers as STOP/START and WhatsApp preferences, so the sender honours it at once, and published as `switchboard.contact.consent_changed` with `source: helpdesk` and the evidence. With an `Idempotency-Key`, a retry of the same change (an answer lost: the same body) answers as the first did, with its time, records nothing new, and publishes the same event again (same id: a first call that failed before publishing is completed); a retry is the change at its first time, so it never undoes a later change. The key names one request to the contact in the path (a retry is recognised whatever merges or unmerges happened since, and writes only where its first call did): with another body (another value, channel or evidence) it is refused with 422 and nothing is recorded. A key whose change was erased with the person (`DELETE /v1/contacts/{contactId}`, the customer known again since) is refused with 409 `idempotency-key-erased`, whatever the body: nothing is recorded or published, and the consent the hub holds stands (a kept opt-out among it); a new key records the change anew. Without a key, each call is a new change.',
    pathParams: ContactPath,
    headers: z.object({ 'Idempotency-Key': IdempotencyKeyHeaderSchema.optional() }),
    body: ConsentChangeSchema,
    success: { status: 200, description: 'Recorded.', schema: ConsentRecordedSchema },
    problems: [
      'notFound',
      'idempotencyKeyErased',
      'idempotencyKeyReused',
      'tooLarge',
      'unsupportedMediaType',
    ],
  },
  {
    method: 'GET',
    path: '/v1/contacts/{contactId}/consent',
    handler: 'consentHistory',
    access: 'read',
    maxBody: 0,
    summary: "A person's consent ledger (every change, newest first)",
    description:
      'Every consent change the hub recorded for the person on every channel: SMS STOP/START/HELP, WhatsApp marketing preferences, e-mail complaints and unsubscribes, and changes the helpdesk recorded (with their evidence). The sender consults the latest per scope before every provider call. Paged, newest first, up to 500 changes a page; a change recorded while you page is newer than every page after the first, so those pages neither skip nor repeat one.',
    pathParams: ContactPath,
    query: ConsentHistoryQuerySchema,
    success: { status: 200, description: 'The ledger.', schema: ConsentHistorySchema },
    problems: ['notFound'],
  },
  {
    method: 'POST',
    path: '/v1/contacts/{contactId}/merge',
    handler: 'mergeContact',
    access: 'people',
    summary: 'Merge another person into this one',
    description:
      "For the same customer the hub could not link by a shared phone number or e-mail address. The person in the body is discarded: their conversations take this person's `contactId` (never another reply address), reads of their id answer with this person, and `switchboard.contact.merged` is published with the reason. Retrying the same merge answers the same merge. Undo it with `/unmerge`." +
      ` Refused with 409 (its detail says why) when the person in the body is already merged into another, or the merge would close a cycle, make a chain of more than ${MAX_MERGE_DEPTH} people merged one into the next, or put more than ${MAX_MERGED_PEOPLE} people in one merge tree (the most an erasure or export of its person walks).`,
    pathParams: ContactPath,
    body: ContactMergeRequestSchema,
    success: {
      status: 200,
      description: 'Merged; the same data as the event.',
      schema: ContactMergeDataSchema,
    },
    problems: ['notFound', 'conflict', 'tooLarge', 'unsupportedMediaType'],
  },
  {
    method: 'POST',
    path: '/v1/contacts/{contactId}/unmerge',
    handler: 'unmergeContact',
    access: 'people',
    summary: 'Undo the merge of another person into this one',
    description:
      'The person in the body (merged into the one in the path) becomes a person of their own again, with their conversations (and those of anyone merged into them); publishes `switchboard.contact.unmerged` with the reason. Retrying the same unmerge (for 30 days, until the pair is merged again) answers the first one, its time and reason, and publishes the same event id.',
    pathParams: ContactPath,
    body: ContactMergeRequestSchema,
    success: {
      status: 200,
      description: 'Unmerged; the same data as the event.',
      schema: ContactMergeDataSchema,
    },
    problems: ['notFound', 'tooLarge', 'unsupportedMediaType'],
  },
  {
    method: 'GET',
    path: '/v1/contacts/{contactId}/export',
    handler: 'exportContact',
    access: 'people',
    maxBody: 0,
    summary: 'Everything the hub holds about a person (right of access)',
    description: `Every stored item of the person, then every payload object they name or their conversations own, in pages: a page ends before the entry that would take the answer past ${PAGE_BUDGET_BYTES / 1024 / 1024} MiB (each entry counted as its JSON escaped once more, as Lambda returns it, well under its 6 MB limit); follow \`nextCursor\` (bound to the person) until it is absent. Each item and each object is on exactly one page.`,
    pathParams: ContactPath,
    query: ExportQuerySchema,
    success: { status: 200, description: 'The export.', schema: PersonExportSchema },
    problems: ['notFound'],
  },
  {
    method: 'GET',
    path: '/v1/contacts/{contactId}/conversations',
    handler: 'contactConversations',
    access: 'read',
    maxBody: 0,
    summary: "List a contact's conversations",
    description:
      "The person's conversations on every channel (the journey), newest last activity first (then by id), exactly across pages.",
    pathParams: ContactPath,
    query: ContactConversationsQuerySchema,
    success: { status: 200, description: 'A page of conversations.', schema: ConversationPageSchema },
    problems: [],
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    handler: 'openApi',
    access: 'read',
    maxBody: 0,
    summary: 'This API’s OpenAPI 3.1 document',
    success: {
      status: 200,
      description: 'The document.',
      schema: z.record(z.string(), z.unknown()).meta({ id: 'OpenApiDocument' }),
    },
    problems: [],
  },
] as const satisfies readonly ApiOperation[];

/**
 * The query `operation` takes: its own schema, or none at all. The router parses it before the
 * handler runs, so a parameter a route does not take is a 400 naming it, never ignored (before
 * 2026-12-06 only the listings parsed theirs, and `DELETE /v1/contacts/{id}?dryRun=true` erased;
 * found by a review, tests/api/helpdesk-api.test.ts).
 */
export const queryOf = (operation: ApiOperation): z.ZodType<unknown, Record<string, unknown>> =>
  operation.query ?? NoQuerySchema;

/** The largest body `operation` takes, in bytes: its own `maxBody`, or its body schema's limit. */
export const maxBodyOf = (operation: ApiOperation): number =>
  operation.maxBody ?? (operation.body ? bodyLimitOf(operation.body) : 0);

export type ApiRoute = (typeof API_ROUTES)[number];
export type ApiHandlerName = ApiRoute['handler'];
