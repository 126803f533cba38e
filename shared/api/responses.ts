import { z } from 'zod';
import {
  ChannelSchema,
  ContactErasedDataSchema,
  ContactIdSchema,
  ContactSchema,
  ConversationStateSchema,
  MessageSchema,
} from '#shared/contract/index.ts';
import { OmittedSchema } from '#shared/store/messages.ts';
import { ConsentValueSchema, MESSAGE_STATE_REGISTERS } from '#shared/store/registers.ts';

/*
 * What the helpdesk API answers, as zod schemas: the handlers' bodies are typed by them (a shape
 * the contract does not describe does not compile) and the OpenAPI document is generated from
 * them, with the request schemas of ./schemas.ts.
 */

const Cursor = z.string().meta({ description: 'Opaque; pass it back as `cursor` for the next page.' });

export const ConversationSchema = ConversationStateSchema.extend({
  /** The provider's "read up to" mark of the customer (Messenger watermarks), when it sent one. */
  readWatermark: z.string().optional(),
  deliveredWatermark: z.string().optional(),
}).meta({ id: 'Conversation', description: "A conversation's current state and its contact." });

export const ConversationPageSchema = z
  .object({
    items: z.array(ConversationSchema),
    nextCursor: Cursor.optional(),
  })
  .meta({ id: 'ConversationPage' });

const MessageLiveStateSchema = z.object(MESSAGE_STATE_REGISTERS).partial().meta({
  id: 'MessageLiveState',
  description: "The message's latest status, reactions, edit and deletion (each only once it happened).",
});

const MessageItemSchema = z
  .object({
    hubMessageId: z.string(),
    message: MessageSchema,
    live: MessageLiveStateSchema,
    omitted: z
      .array(OmittedSchema)
      .optional()
      .meta({ description: 'What the stored copy left out for size; the helpdesk event carried it whole.' }),
  })
  .meta({ id: 'MessageItem' });

export const MessagePageSchema = z
  .object({
    items: z.array(MessageItemSchema).meta({ description: 'Oldest first, whichever way the page was read.' }),
    nextCursor: Cursor.optional(),
    previousCursor: Cursor.optional(),
  })
  .meta({ id: 'MessagePage' });

export const SendAcceptedSchema = z
  .object({
    commandId: z.string(),
    hubMessageId: z
      .string()
      .meta({ description: 'The message id its `message.sent` or `message.send_failed` event will carry.' }),
    conversationId: z.string(),
    idempotencyKey: z.string(),
  })
  .meta({ id: 'SendAccepted' });

export const CommandAcceptedSchema = z.object({ commandId: z.string() }).meta({ id: 'CommandAccepted' });

export const ContactBodySchema = z
  .object({
    contactId: ContactIdSchema,
    channels: z.array(
      z.object({
        channel: ChannelSchema,
        identities: ContactSchema.shape.identities,
        displayName: z.string().optional(),
        consent: z.record(z.string(), ConsentValueSchema).meta({
          description: 'By scope: `sms`, `whatsapp_marketing`, `messenger_notifications`, `email`.',
        }),
      }),
    ),
    merged: z
      .array(
        z.object({
          contactId: ContactIdSchema,
          reason: z.string(),
          mergedAt: z.string(),
        }),
      )
      .meta({ description: 'People the helpdesk merged into this one (each can be unmerged).' }),
  })
  .meta({
    id: 'Person',
    description: 'A customer on every channel the hub links them on (same phone number or e-mail address).',
  });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'A stable URN, `urn:switchboard:problem:<kind>`.' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    reason: z.string().optional().meta({
      description:
        "`media-failed`: the reason of the part's `message.media_failed` (`expired`, `too_large`, `forbidden`, `checksum_mismatch`, `provider_error`).",
    }),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'The failing fields, as `query.limit`, `body.parts.0.text`…' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export const PersonExportSchema = z
  .object({
    contactId: ContactIdSchema,
    exportedAt: z.string(),
    items: z.array(z.object({ kind: z.string(), item: z.unknown() })).meta({
      description:
        'Every stored item of the person, by kind of the key catalogue, as stored: each once over the pages, in no meaningful order.',
    }),
    objects: z.array(z.string()).meta({
      description:
        'Payload-bucket keys the items name, and those their conversations own (claim checks, attachments, bodies): each once over the pages, after every item.',
    }),
    nextCursor: Cursor.optional(),
  })
  .meta({
    id: 'PersonExport',
    description:
      'Everything the hub holds about a person (right of access), in pages: follow `nextCursor` until it is absent.',
  });

const count = (description: string) => z.number().int().nonnegative().meta({ description });

export const ContactErasureSchema = ContactErasedDataSchema.extend({
  providerRedactions: z
    .object({
      twilio: z.object({
        messages: count(
          'Messages whose body Twilio now keeps empty (or no longer has), their media deleted.',
        ),
        media: count('Media resources deleted.'),
        failed: count(
          'Messages Twilio may still hold (a refusal, e.g. still sending, no credentials, no time left): kept under the person and retried by the attention sweeper (5 minutes later, then less often) and by the next erasure call.',
        ),
      }),
      whatsapp: z.object({
        uploads: count(
          'Files the hub uploaded to WhatsApp for its sends, deleted at Meta (or already expired).',
        ),
        failed: count(
          'Uploads Meta may still hold (a refusal, no token, no time left): kept under the person and retried by the attention sweeper (5 minutes later, then less often) and by the next erasure call.',
        ),
      }),
    })
    .optional()
    .meta({
      description:
        "What the providers were asked to forget. Meta has no API that deletes message content (it keeps it at most 30 days); the hub's own WhatsApp uploads are deleted. Absent when the call had no provider to ask and nothing was pending; a call without provider access asks none and counts what was pending as `failed`, kept for the retry.",
    }),
}).meta({
  id: 'ContactErasure',
  description: "The erasure's counts: the event's data, and what the providers did.",
});

export const ConsentRecordedSchema = z
  .object({
    contactId: ContactIdSchema,
    channel: ChannelSchema,
    scope: z.string(),
    consent: z.enum(['opted_out', 'opted_in']),
    at: z.string(),
    /** The channel contacts whose consent changed (one per identity the person wrote from on the channel). */
    contacts: z.number().int().nonnegative(),
  })
  .meta({ id: 'ConsentRecorded' });

export const ConsentHistorySchema = z
  .object({
    contactId: ContactIdSchema,
    changes: z.array(
      z.object({
        channel: ChannelSchema,
        scope: z.string(),
        consent: z.enum(['opted_out', 'opted_in', 'help_requested']),
        trigger: z.string().nullable(),
        source: z.enum(['provider', 'helpdesk']),
        evidence: z.string().optional(),
        at: z.string(),
        eventId: z.string(),
      }),
    ),
    nextCursor: Cursor.optional(),
  })
  .meta({
    id: 'ConsentHistory',
    description:
      "The person's consent ledger on every channel, newest first: every change the hub recorded (the registers the sender consults hold the latest per scope), a page at a time; `nextCursor` when older changes follow.",
  });

export const MediaDownloadSchema = z
  .object({
    url: z.string().meta({
      description:
        'A presigned GET of the stored copy, valid until `expiresAt` (or sooner, when the credentials that signed it expire: ask again). It answers as a download under a name the hub makes up from the part index and the type (`Content-Disposition: attachment; filename="attachment-1.pdf"`): the URL never carries the customer\'s file name (S3\'s access logs keep every URL). Save or show the file under `filename`.',
    }),
    expiresAt: z.string(),
    contentType: z.string().meta({
      description:
        "As stored: what the URL answers with, and the `contentType` of the part's `media_stored`. `application/octet-stream` for active content (HTML, SVG, any XML, scripts) and for bytes without their declared type's signature: the part's `mimeType` keeps the customer's type.",
    }),
    size: z.number().int().nonnegative().meta({ description: 'Bytes, as stored.' }),
    sha256: z.string().optional().meta({ description: 'Hex, when the hub recorded it.' }),
    filename: z.string().optional().meta({
      description:
        "The part's file name, when it has one: the name to save or show the file under (the URL answers with a made-up one).",
    }),
  })
  .meta({ id: 'MediaDownload', description: "A short-lived download URL of a message part's stored copy." });

export const EmailBodyDownloadSchema = z
  .object({
    url: z.string().meta({
      description:
        'A presigned GET of the stored body, valid until `expiresAt` (or sooner, when the credentials that signed it expire: ask again). It answers as a download under a name the hub makes up (`Content-Disposition: attachment; filename="body.html"`, `body.txt`), never as a page: the HTML is the customer\'s, scripts included. Show it only sanitized, or in a sandboxed frame.',
    }),
    expiresAt: z.string(),
    contentType: z.string().meta({
      description:
        'As stored: what the URL answers with. `application/octet-stream` for the HTML (active content is never stored as such), `text/plain; charset=utf-8` for the text; either is UTF-8 (an HTML body stored before 2026-12-06 is `text/html; charset=utf-8`).',
    }),
    size: z.number().int().nonnegative().meta({ description: 'Bytes, as stored.' }),
  })
  .meta({
    id: 'EmailBodyDownload',
    description:
      "A short-lived download URL of an e-mail body too large for the message, stored apart (the message's `email.htmlBodyKey` or `email.textBodyKey`).",
  });

export const MediaUploadSchema = z
  .object({
    s3Key: z.string().meta({
      description:
        "Name it in a send's media part once the file is uploaded: `source: { s3Key }`. `media/outbound/<id>/file.<extension of the type>`: never the file's name.",
    }),
    upload: z.object({
      method: z.literal('PUT'),
      url: z.string(),
      headers: z
        .object({
          'content-type': z.string(),
          'x-amz-server-side-encryption': z.literal('AES256'),
          'content-disposition': z.string().optional().meta({
            description:
              "With a `filename`: `attachment; filename*=UTF-8''…`, the name the object keeps (a header, so it is in no URL).",
          }),
        })
        .meta({
          description:
            'Send exactly these with the PUT, and a body of exactly `bytes` (the URL signs them and the length).',
        }),
      expiresAt: z.string().meta({ description: 'The PUT must start before then.' }),
    }),
  })
  .meta({ id: 'MediaUpload', description: 'Where to upload a file to send, and the key that names it.' });
