// Generated from openapi.json by openapi-typescript (npm run contract:generate). Do not edit.
export interface paths {
    "/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List conversations
         * @description Open conversations by last activity (default), conversations of a status, or those whose customer waits for an answer (`waiting=true`), longest wait first (exactly, across pages). Filters by channel, endpoint, contact, assignee and label; cursor paging. By last activity, the order is by the hour of last activity across pages, and exact within a page: a later page may hold a conversation active later in the same hour than an earlier page's last (the index keeps the hour, not the time, so a busy conversation does not rewrite it on every message). With `contact`, the person's conversations are in exact order of last activity (then id) across pages. Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["listConversations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a conversation
         * @description Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["getConversation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change status, snooze, assignee, labels or priority
         * @description Conditional on the version read (`If-Match`). Each change is also a `switchboard.conversation.state_changed` event on the helpdesk stream, saying who changed what; 200 only once that event is queued. Retrying the same change after a lost answer answers as the change did. A 5xx may follow a change that was saved: it is still announced (by the retry, a later PATCH, or within about two minutes by the hub itself), and a retry made after another write answers 412 while the change stands. With `If-Match: *`, or a list that names the version that write made, a write by another (a customer's message) between the read and the save does not refuse the change: it is applied again to the version then current, and only after 5 such races in a row is it a 409 (`conflict`), nothing changed. The body takes at most 13312 bytes: 413 above. Access `write`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/write` (API Gateway answers 403 without it).
         */
        patch: operations["patchConversation"];
        trace?: never;
    };
    "/v1/conversations/{conversationId}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Page a conversation's messages
         * @description Both ways, each with its live state (status, reactions, edit, deletion). Items are oldest first on every page. A page can hold fewer than `limit` messages: it ends before the message that would take the answer past 4 MiB (each counted as its JSON escaped once more, as Lambda returns it, well under its 6 MB limit; a stored message is at most 64 KB), and its cursor goes on from there. Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["listMessages"];
        put?: never;
        /**
         * Send a message
         * @description Queues the send command. It ends in exactly one `switchboard.message.sent` or `switchboard.message.send_failed` event for `hubMessageId`; the same `Idempotency-Key` never sends twice. The command (the body with its envelope, as JSON written again in UTF-8, whichever characters the body escaped as `\uXXXX`) must fit in the sender's command limit of 262144 bytes (256 KiB): a larger one is refused with 413 and nothing is queued. A key already used in the conversation for other content (another body, even one field) is refused with 422 and nothing is queued, however soon after the first request it comes (the key holds its content for 58 days after the last request with it). A repeat of the same body is answered 202 as the first was; it is queued again only within 28 days of the key's first request, and later nothing is queued (the sender may have forgotten the first by then, and would send it a second time). A request answered with a 5xx may have taken the key with nothing queued: retry it with the same body within those 28 days. The body takes at most 1573888 bytes: 413 above. Access `write`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/write` (API Gateway answers 403 without it).
         */
        post: operations["sendMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark the customer's messages read (best effort)
         * @description The body takes at most 8192 bytes: 413 above. Access `write`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/write` (API Gateway answers 403 without it).
         */
        post: operations["markRead"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/conversations/{conversationId}/typing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Show a typing indicator (best effort)
         * @description The body takes at most 2048 bytes: 413 above. Access `write`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/write` (API Gateway answers 403 without it).
         */
        post: operations["typing"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages/{hubMessageId}/media/{partIndex}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A download URL of a message's attachment
         * @description A presigned GET of the hub's copy of a media part (`partIndex` in the message's `parts`), valid for 5 minutes: an attachment the media fetcher stored, an e-mail attachment, a file sent by `s3Key`. 404 for an unknown or erased message, a part index it does not have, or a part that is not media; `media-not-kept` (404) for Instagram media, which stays at Meta; `media-not-stored` (409, with `Retry-After`) while the copy is queued or under way; `media-failed` (410) with the `reason` of its `message.media_failed`. Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["getMessageMedia"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/messages/{hubMessageId}/body/{kind}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A download URL of an e-mail's body stored apart
         * @description A presigned GET of an e-mail body too large for the message, which the hub stored in its bucket: the HTML (`html`, the message's `email.htmlBodyKey`) or the text (`text`, its `email.textBodyKey`), valid for 5 minutes and answering as a download (`body.html`, `body.txt`), never as a page. 404 for an unknown or erased message, one with no such body stored apart (a body that fits is in the message itself: `email.htmlBody`, `email.textBody`), or a body gone with the bucket's retention. Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["getMessageBody"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/media": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * An upload URL for a file to send
         * @description A fresh key under `media/outbound/` and a presigned PUT for it, valid for 15 minutes and bound to the type and size given (the types any channel sends, up to 100 MiB). Upload the file with the headers given, then name the key in a send's media part (`source: { s3Key }`). The key never holds the file's name (keys reach S3's access logs): a `filename` travels as the object's `Content-Disposition`, which the upload's headers carry. Nothing is recorded: an unused key costs nothing, and uploads expire with the bucket's retention. The body takes at most 4096 bytes: 413 above. Access `write`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/write` (API Gateway answers 403 without it).
         */
        post: operations["createMediaUpload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{contactId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read a contact
         * @description Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["getContact"];
        put?: never;
        post?: never;
        /**
         * Erase a person everywhere (right to erasure)
         * @description Deletes every record of the person on every channel (conversations, messages and their states, contact and identity items, send bookkeeping), the payload objects they name and their conversations' claim checks; redacts their Twilio messages at Twilio first (bodies emptied, media deleted; best effort, counted); leaves only bare tombstones of the erased messages, sends and unreadable e-mails (a provider retry of an old webhook, a redelivered event, or a send command or `Idempotency-Key` retry that comes back, brings nothing back) and their opt-outs under a hash (a STOP outlives erasure). Publishes `switchboard.contact.erased`. Running it again erases what is left in the hub. Access `people`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/people` (API Gateway answers 403 without it).
         */
        delete: operations["eraseContact"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{contactId}/consent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A person's consent ledger (every change, newest first)
         * @description Every consent change the hub recorded for the person on every channel: SMS STOP/START/HELP, WhatsApp marketing preferences, e-mail complaints and unsubscribes, and changes the helpdesk recorded (with their evidence). The sender consults the latest per scope before every provider call. Paged, newest first, up to 500 changes a page; a change recorded while you page is newer than every page after the first, so those pages neither skip nor repeat one. Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["consentHistory"];
        put?: never;
        /**
         * Record a customer's consent on a channel, with its evidence
         * @description For a customer who opted out or in another way than by the provider (on the phone, by e-mail to an agent). Written to the same consent registers as STOP/START and WhatsApp preferences, so the sender honours it at once, and published as `switchboard.contact.consent_changed` with `source: helpdesk` and the evidence. With an `Idempotency-Key`, a retry of the same change (an answer lost: the same body) answers as the first did, with its time, records nothing new, and publishes the same event again (same id: a first call that failed before publishing is completed); a retry is the change at its first time, so it never undoes a later change. The key names one request to the contact in the path (a retry is recognised whatever merges or unmerges happened since, and writes only where its first call did): with another body (another value, channel or evidence) it is refused with 422 and nothing is recorded. A key whose change was erased with the person (`DELETE /v1/contacts/{contactId}`, the customer known again since) is refused with 409 `idempotency-key-erased`, whatever the body: nothing is recorded or published, and the consent the hub holds stands (a kept opt-out among it); a new key records the change anew. Without a key, each call is a new change. The body takes at most 8192 bytes: 413 above. Access `write`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/write` (API Gateway answers 403 without it).
         */
        post: operations["setConsent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{contactId}/merge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Merge another person into this one
         * @description For the same customer the hub could not link by a shared phone number or e-mail address. The person in the body is discarded: their conversations take this person's `contactId` (never another reply address), reads of their id answer with this person, and `switchboard.contact.merged` is published with the reason. Retrying the same merge answers the same merge. Undo it with `/unmerge`. Refused with 409 (its detail says why) when the person in the body is already merged into another, or the merge would close a cycle, make a chain of more than 8 people merged one into the next, or put more than 64 people in one merge tree (the most an erasure or export of its person walks). The body takes at most 5120 bytes: 413 above. Access `people`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/people` (API Gateway answers 403 without it).
         */
        post: operations["mergeContact"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{contactId}/unmerge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Undo the merge of another person into this one
         * @description The person in the body (merged into the one in the path) becomes a person of their own again, with their conversations (and those of anyone merged into them); publishes `switchboard.contact.unmerged` with the reason. Retrying the same unmerge (for 30 days, until the pair is merged again) answers the first one, its time and reason, and publishes the same event id. The body takes at most 5120 bytes: 413 above. Access `people`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/people` (API Gateway answers 403 without it).
         */
        post: operations["unmergeContact"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{contactId}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Everything the hub holds about a person (right of access)
         * @description Every stored item of the person, then every payload object they name or their conversations own, in pages: a page ends before the entry that would take the answer past 4 MiB (each entry counted as its JSON escaped once more, as Lambda returns it, well under its 6 MB limit); follow `nextCursor` (bound to the person) until it is absent. Each item and each object is on exactly one page. Access `people`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/people` (API Gateway answers 403 without it).
         */
        get: operations["exportContact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{contactId}/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a contact's conversations
         * @description The person's conversations on every channel (the journey), newest last activity first (then by id), exactly across pages. Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["contactConversations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This API’s OpenAPI 3.1 document
         * @description Access `read`: a deployment authorizing JWTs with a scope prefix requires the scope `<prefix>/read` (API Gateway answers 403 without it).
         */
        get: operations["openApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description The hub's id of a person across channels. */
        ContactId: string;
        /** @description At least one of `status`, `assignee`, `labels` or `priority` (`actor` alone, or `{}`, is refused: nothing to change). `snoozedUntil` is required with status `snoozed` and refused otherwise. */
        ConversationPatch: {
            /** @enum {string} */
            status?: "open" | "pending" | "snoozed" | "resolved";
            /**
             * Format: date-time
             * @description When the snooze ends (ISO 8601, any offset, kept as UTC): required with status `snoozed`, refused otherwise; in the future, at most 366 days ahead (400 otherwise).
             */
            snoozedUntil?: string;
            assignee?: string | null;
            labels?: string[];
            priority?: ("low" | "normal" | "high" | "urgent") | null;
            actor?: components["schemas"]["ChangeActor"];
        } & (unknown | unknown | unknown | unknown);
        ChangeActor: {
            /** @enum {string} */
            kind: "agent" | "bot" | "system";
            /** @description Not starting with `switchboard:` (in any case): the hub's own actors. */
            id: string;
        };
        SendMessageRequest: {
            parts: components["schemas"]["OutboundPart"][];
            replyTo?: {
                providerMessageId: string;
            };
            sender: components["schemas"]["CommandSender"];
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            deadline?: string;
            email?: {
                subject?: string;
            };
        };
        OutboundPart: components["schemas"]["OutboundTextPart"] | components["schemas"]["OutboundMediaPart"] | components["schemas"]["OutboundTemplatePart"] | components["schemas"]["OutboundInteractivePart"] | components["schemas"]["OutboundReactionPart"] | components["schemas"]["OutboundLocationPart"];
        OutboundTextPart: {
            /** @constant */
            type: "text";
            text: string & (unknown & unknown);
            html?: string;
        };
        OutboundMediaPart: {
            /** @constant */
            type: "media";
            /** @enum {string} */
            kind: "image" | "audio" | "video" | "file" | "sticker";
            source: components["schemas"]["OutboundMediaSource"];
            mimeType?: string;
            filename?: string;
            caption?: string;
        };
        OutboundMediaSource: {
            s3Key: string;
        } | {
            /**
             * Format: uri
             * @description An https URL (no other scheme).
             */
            url: string;
        };
        OutboundTemplatePart: {
            /** @constant */
            type: "template";
            name: string;
            language: string;
            /** @enum {string} */
            category?: "marketing" | "utility" | "authentication";
            parameters?: string[] | {
                [key: string]: string;
            };
            parameterCount?: number;
            header?: components["schemas"]["OutboundTemplateHeader"];
            buttons?: components["schemas"]["OutboundTemplateButton"][];
        };
        OutboundTemplateHeader: {
            /** @constant */
            type: "text";
            text: string;
            parameterName?: string;
        } | ({
            /** @enum {string} */
            type: "image" | "video";
            /**
             * Format: uri
             * @description An https URL (no other scheme).
             */
            url?: string;
            s3Key?: string;
        } & (unknown | unknown)) | ({
            /** @constant */
            type: "document";
            /**
             * Format: uri
             * @description An https URL (no other scheme).
             */
            url?: string;
            s3Key?: string;
            filename?: string;
        } & (unknown | unknown)) | {
            /** @constant */
            type: "location";
            latitude: number;
            longitude: number;
            name?: string;
            address?: string;
        };
        OutboundTemplateButton: {
            /** @constant */
            type: "quick_reply";
            index: number;
            payload: string;
        } | {
            /** @constant */
            type: "url";
            index: number;
            text: string;
        } | {
            /** @constant */
            type: "copy_code";
            index: number;
            couponCode: string;
        };
        /** @description Exactly one of `buttons` or `list`. */
        OutboundInteractivePart: {
            /** @constant */
            type: "interactive";
            body: string & (unknown & unknown);
            buttons?: {
                id: string;
                title: string & (unknown & unknown);
            }[];
            list?: {
                button: string & (unknown & unknown);
                sections: {
                    title?: string;
                    rows: {
                        id: string;
                        title: string & (unknown & unknown);
                        description?: string;
                    }[];
                }[];
            };
        } & (unknown | unknown);
        OutboundReactionPart: {
            /** @constant */
            type: "reaction";
            targetProviderMessageId: string;
            /** @description One emoji; empty removes the reaction. Instagram takes only ❤️ (sent as Meta's `love`): any other emoji ends `send_failed` (`content_invalid`, `failedField` `parts.N.emoji`) before any call. */
            emoji: string;
        };
        OutboundLocationPart: {
            /** @constant */
            type: "location";
            latitude: number;
            longitude: number;
            name?: string;
            address?: string;
        };
        CommandSender: {
            /** @enum {string} */
            kind: "agent" | "bot" | "system";
            id: string;
        };
        MarkReadRequest: {
            providerMessageId: string;
        };
        TypingRequest: Record<string, never>;
        MediaUploadRequest: {
            /**
             * @description The exact `Content-Type` the upload must carry (the URL signs it).
             * @enum {string}
             */
            contentType: "image/jpeg" | "image/png" | "image/webp" | "image/gif" | "audio/aac" | "audio/amr" | "audio/mp4" | "audio/mpeg" | "audio/ogg" | "video/mp4" | "video/3gpp" | "application/pdf" | "text/plain" | "application/msword" | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" | "application/vnd.ms-excel" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" | "application/vnd.ms-powerpoint" | "application/vnd.openxmlformats-officedocument.presentationml.presentation";
            /** @description The exact size of the file (the URL signs it), at most 100 MiB. */
            bytes: number;
            /** @description Stored with the file as its `Content-Disposition` (the upload's `headers` carry it and the URL signs it), never in its key or a URL (S3's access logs keep both): the name the file goes out under when a send gives no `filename` of its own. */
            filename?: string;
        };
        ConsentChange: {
            /**
             * @description The messaging channel the event belongs to.
             * @enum {string}
             */
            channel: "messenger" | "whatsapp" | "sms" | "email";
            /** @enum {string} */
            consent: "opted_out" | "opted_in";
            evidence: string;
        };
        ContactMergeRequest: {
            contactId: components["schemas"]["ContactId"];
            reason: string & (unknown & unknown);
        };
        ConversationPage: {
            items: components["schemas"]["Conversation"][];
            /** @description Opaque; pass it back as `cursor` for the next page. */
            nextCursor?: string;
        };
        /** @description A conversation's current state and its contact. */
        Conversation: {
            conversationId: string;
            /**
             * @description The messaging channel the event belongs to.
             * @enum {string}
             */
            channel: "messenger" | "whatsapp" | "sms" | "email";
            /**
             * @description The provider whose webhook carried the event.
             * @enum {string}
             */
            provider?: "meta" | "twilio" | "ses" | "mailgun";
            endpoint: components["schemas"]["BusinessEndpoint"];
            contact: components["schemas"]["Contact"];
            contactId: components["schemas"]["ContactId"];
            /** @enum {string} */
            status: "open" | "pending" | "snoozed" | "resolved";
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            createdAt: string;
            lastMessageAt: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            firstReceivedAt?: string;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            lastReceivedAt?: string;
            lastInboundAt: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            lastAuthenticatedInboundAt?: string;
            replyWindow: {
                applies: boolean;
                closesAt: string | null;
                /**
                 * Format: date-time
                 * @description ISO 8601 date-time (UTC, milliseconds).
                 */
                lastActionAt?: string;
            };
            freeEntryPoint?: components["schemas"]["FreeEntryPoint"];
            adReplyWindow?: components["schemas"]["AdReplyWindow"];
            unreadCount: number;
            messageCount: number;
            firstResponseAt: string | null;
            firstResponseSeconds: number | null;
            assignee: string | null;
            labels: string[];
            priority: ("low" | "normal" | "high" | "urgent") | null;
            snoozedUntil: string | null;
            waitingSince: string | null;
            version: number;
            readWatermark?: string;
            deliveredWatermark?: string;
        };
        /** @description The business endpoint the event came through. */
        BusinessEndpoint: {
            /** @enum {string} */
            type: "facebook_page" | "instagram_account" | "whatsapp_phone_number" | "phone_number" | "email_address";
            id: string;
            displayName?: string;
            accountId?: string;
        };
        /** @description The customer's identities on this channel. */
        Contact: {
            identities: components["schemas"]["ChannelIdentity"][];
            displayName?: string;
            username?: string;
        };
        ChannelIdentity: {
            /** @enum {string} */
            type: "psid" | "igsid" | "wa_id" | "bsuid" | "phone" | "short_code" | "alphanumeric" | "email";
            value: string;
        };
        FreeEntryPoint: {
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            enteredAt: string;
            clickId?: string;
            answeredAt: string | null;
            closesAt: string | null;
        };
        AdReplyWindow: {
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            enteredAt: string;
            adId?: string;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            closesAt: string;
        };
        /** @description RFC 9457 problem details. */
        Problem: {
            /** @description A stable URN, `urn:switchboard:problem:<kind>`. */
            type: string;
            title: string;
            status: number;
            detail?: string;
            /** @description `media-failed`: the reason of the part's `message.media_failed` (`expired`, `too_large`, `forbidden`, `checksum_mismatch`, `provider_error`). */
            reason?: string;
            /** @description The failing fields, as `query.limit`, `body.parts.0.text`… */
            errors?: {
                field: string;
                message: string;
            }[];
        };
        /** @description API Gateway's own answer, not the function's: `{"message":"Forbidden"}`, `{"message":"Too Many Requests"}`… */
        GatewayError: {
            message: string;
        };
        MessagePage: {
            /** @description Oldest first, whichever way the page was read. */
            items: components["schemas"]["MessageItem"][];
            /** @description Opaque; pass it back as `cursor` for the next page. */
            nextCursor?: string;
            /** @description Opaque; pass it back as `cursor` for the next page. */
            previousCursor?: string;
        };
        MessageItem: {
            hubMessageId: string;
            message: components["schemas"]["Message"];
            live: components["schemas"]["MessageLiveState"];
            /** @description What the stored copy left out for size; the helpdesk event carried it whole. */
            omitted?: ("email_bodies" | "parts" | "details")[];
        };
        /** @description A message in the common Switchboard format. */
        Message: {
            hubMessageId: string;
            /**
             * @description The messaging channel the event belongs to.
             * @enum {string}
             */
            channel: "messenger" | "whatsapp" | "sms" | "email";
            /**
             * @description The provider whose webhook carried the event.
             * @enum {string}
             */
            provider: "meta" | "twilio" | "ses" | "mailgun";
            /** @enum {string} */
            direction: "inbound" | "outbound";
            endpoint: components["schemas"]["BusinessEndpoint"];
            contact: components["schemas"]["Contact"];
            contactId?: components["schemas"]["ContactId"];
            conversationId: string;
            providerMessageId: string;
            providerTimestamp: string | null;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            receivedAt: string;
            replyTo?: components["schemas"]["MessageReference"];
            forwarded?: boolean;
            frequentlyForwarded?: boolean;
            referredProduct?: components["schemas"]["ReferredProduct"];
            referral?: components["schemas"]["Referral"];
            /** @enum {string} */
            consentKeyword?: "opted_out" | "opted_in" | "help_requested";
            /** @enum {string} */
            sentBy?: "hub" | "external";
            senderAppId?: string;
            idempotencyKey?: string;
            commandId?: string;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            takenAt?: string;
            providerMessageIds?: string[];
            correlationId?: string;
            parts: components["schemas"]["MessagePart"][];
            email?: components["schemas"]["EmailDetails"];
            errors?: components["schemas"]["ProviderError"][];
        };
        MessageReference: {
            providerMessageId: string;
            from?: string;
        };
        ReferredProduct: {
            catalogId: string;
            productRetailerId: string;
        };
        Referral: {
            source?: string;
            type?: string;
            ref?: string;
            adId?: string;
            sourceUrl?: string;
            headline?: string;
            body?: string;
            clickId?: string;
            mediaType?: string;
            imageUrl?: string;
            videoUrl?: string;
            thumbnailUrl?: string;
            welcomeMessage?: string;
            postId?: string;
            productId?: string;
            flowId?: string;
        };
        MessagePart: components["schemas"]["TextPart"] | components["schemas"]["MediaPart"] | components["schemas"]["LinkPart"] | components["schemas"]["LocationPart"] | components["schemas"]["ContactsPart"] | components["schemas"]["InteractiveReplyPart"] | components["schemas"]["ReactionPart"] | components["schemas"]["OrderPart"] | components["schemas"]["SystemPart"] | components["schemas"]["TemplatePart"] | components["schemas"]["InteractivePart"] | components["schemas"]["CallPart"] | components["schemas"]["UnsupportedPart"];
        TextPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "text";
            text: string;
        };
        MediaPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "media";
            /** @enum {string} */
            kind: "image" | "audio" | "voice" | "video" | "file" | "sticker";
            mimeType?: string;
            size?: number;
            filename?: string;
            caption?: string;
            sha256?: string;
            animated?: boolean;
            contentId?: string;
            inline?: boolean;
            ref: components["schemas"]["MediaRef"];
        };
        MediaRef: {
            /** @constant */
            store: "provider_url";
            /**
             * Format: uri
             * @description An RFC 3986 URI: the provider's http(s) URL as the WHATWG parser serializes it, with what that leaves outside RFC 3986 percent-encoded.
             */
            url: string;
            requiresAuth: boolean;
        } | {
            /** @constant */
            store: "provider_media_id";
            mediaId: string;
        } | {
            /** @constant */
            store: "s3";
            key: string;
        };
        /** @description A shared link (Messenger `fallback` attachment). */
        LinkPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "link";
            url: string;
            title?: string;
        };
        LocationPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "location";
            latitude: number;
            longitude: number;
            name?: string;
            address?: string;
            url?: string;
        };
        ContactsPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "contacts";
            contacts: {
                formattedName: string;
                firstName?: string;
                middleName?: string;
                lastName?: string;
                namePrefix?: string;
                nameSuffix?: string;
                birthday?: string;
                phones: {
                    phone: string;
                    type?: string;
                    waId?: string;
                }[];
                emails: {
                    email: string;
                    type?: string;
                }[];
                addresses?: {
                    street?: string;
                    city?: string;
                    state?: string;
                    zip?: string;
                    country?: string;
                    countryCode?: string;
                    type?: string;
                }[];
                organization?: string;
                department?: string;
                jobTitle?: string;
                urls: string[];
                urlTypes?: {
                    url: string;
                    type?: string;
                }[];
            }[];
        };
        InteractiveReplyPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "interactive_reply";
            /** @enum {string} */
            kind: "button" | "list" | "quick_reply" | "postback" | "flow";
            payload?: string;
            title?: string;
            description?: string;
            responseJson?: string;
        };
        ReactionPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "reaction";
            emoji?: string;
            targetProviderMessageId: string;
        };
        OrderPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "order";
            catalogId: string;
            text?: string;
            items: {
                productRetailerId: string;
                quantity: number;
                itemPrice?: number;
                currency?: string;
            }[];
        };
        SystemPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "system";
            kind: string;
            body?: string;
            newIdentity?: string;
        };
        TemplatePart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "template";
            name: string;
            language: string;
            /** @enum {string} */
            category?: "marketing" | "utility" | "authentication";
            parameters?: string[] | {
                [key: string]: string;
            };
        };
        InteractivePart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "interactive";
            body: string;
            buttons?: {
                id: string;
                title: string;
            }[];
            list?: {
                button: string;
                sections: {
                    title?: string;
                    rows: {
                        id: string;
                        title: string;
                        description?: string;
                    }[];
                }[];
            };
        };
        /** @description A voice call (WhatsApp Calling API). A customer's call is their `message.received`; its end is a `message.edited` of that message, the call part with `outcome` (`answered`, `missed`, or `failed` when the provider says so, with its `errors`: at most 8, each text cut to 256 characters). */
        CallPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "call";
            callId: string;
            /** @enum {string} */
            direction: "user_initiated" | "business_initiated";
            /**
             * @description Once the call ended: `missed` when nobody picked it up (the provider names no start), whatever its status; once picked up, `failed` when the provider says it failed (WhatsApp `FAILED`), else `answered`.
             * @enum {string}
             */
            outcome?: "answered" | "missed" | "failed";
            providerStatus?: string;
            /** @description Once the call ended: the provider's errors, as it gives them (WhatsApp 138021 when the customer's app sent no media…); at most 8, each text cut to 256 characters. */
            errors?: components["schemas"]["ProviderError"][];
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            startedAt?: string;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            endedAt?: string;
            durationSeconds?: number;
        };
        ProviderError: {
            code: string;
            title?: string;
            message?: string;
            details?: string;
        };
        UnsupportedPart: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "unsupported";
            providerType: string;
            raw?: unknown;
        };
        EmailDetails: {
            subject: string;
            from: {
                address: string;
                name?: string;
            };
            to: {
                address: string;
                name?: string;
            }[];
            cc: {
                address: string;
                name?: string;
            }[];
            replyTo: {
                address: string;
                name?: string;
            }[];
            messageIdHeader?: string;
            inReplyTo?: string;
            references: string[];
            textBody?: string;
            htmlBody?: string;
            textBodyKey?: string;
            htmlBodyKey?: string;
            replyText?: string;
            isAutoReply: boolean;
            isBounce: boolean;
            verdicts?: {
                [key: string]: string;
            };
            /** @constant */
            fromAuthenticated?: true;
            rawMimeKey?: string;
            attachments: components["schemas"]["MediaPart"][];
        };
        /** @description The message's latest status, reactions, edit and deletion (each only once it happened). */
        MessageLiveState: {
            status?: {
                /** @enum {string} */
                status: "queued" | "sent" | "failed" | "delivered" | "read" | "played";
                providerStatus: string;
                at: string;
                errors?: components["schemas"]["ProviderError"][];
            };
            customerReaction?: {
                /** @enum {string} */
                action: "added" | "removed";
                emoji: string | null;
                at: string;
            };
            businessReaction?: {
                /** @enum {string} */
                action: "added" | "removed";
                emoji: string | null;
                at: string;
            };
            edit?: {
                parts: components["schemas"]["MessagePart"][];
                /** @constant */
                partsOmitted?: true;
                /** @enum {string} */
                actor: "customer" | "business";
                at: string;
                editProviderMessageId?: string;
            };
            deletion?: {
                /** @enum {string} */
                actor: "customer" | "business";
                at: string;
            };
        };
        SendAccepted: {
            commandId: string;
            /** @description The message id its `message.sent` or `message.send_failed` event will carry. */
            hubMessageId: string;
            conversationId: string;
            idempotencyKey: string;
        };
        CommandAccepted: {
            commandId: string;
        };
        /** @description A short-lived download URL of a message part's stored copy. */
        MediaDownload: {
            /** @description A presigned GET of the stored copy, valid until `expiresAt` (or sooner, when the credentials that signed it expire: ask again). It answers as a download under a name the hub makes up from the part index and the type (`Content-Disposition: attachment; filename="attachment-1.pdf"`): the URL never carries the customer's file name (S3's access logs keep every URL). Save or show the file under `filename`. */
            url: string;
            expiresAt: string;
            /** @description As stored: what the URL answers with, and the `contentType` of the part's `media_stored`. `application/octet-stream` for active content (HTML, SVG, any XML, scripts) and for bytes without their declared type's signature: the part's `mimeType` keeps the customer's type. */
            contentType: string;
            /** @description Bytes, as stored. */
            size: number;
            /** @description Hex, when the hub recorded it. */
            sha256?: string;
            /** @description The part's file name, when it has one: the name to save or show the file under (the URL answers with a made-up one). */
            filename?: string;
        };
        /** @description A short-lived download URL of an e-mail body too large for the message, stored apart (the message's `email.htmlBodyKey` or `email.textBodyKey`). */
        EmailBodyDownload: {
            /** @description A presigned GET of the stored body, valid until `expiresAt` (or sooner, when the credentials that signed it expire: ask again). It answers as a download under a name the hub makes up (`Content-Disposition: attachment; filename="body.html"`, `body.txt`), never as a page: the HTML is the customer's, scripts included. Show it only sanitized, or in a sandboxed frame. */
            url: string;
            expiresAt: string;
            /** @description As stored: what the URL answers with. `application/octet-stream` for the HTML (active content is never stored as such), `text/plain; charset=utf-8` for the text; either is UTF-8 (an HTML body stored before 2026-12-06 is `text/html; charset=utf-8`). */
            contentType: string;
            /** @description Bytes, as stored. */
            size: number;
        };
        /** @description Where to upload a file to send, and the key that names it. */
        MediaUpload: {
            /** @description Name it in a send's media part once the file is uploaded: `source: { s3Key }`. `media/outbound/<id>/file.<extension of the type>`: never the file's name. */
            s3Key: string;
            upload: {
                /** @constant */
                method: "PUT";
                url: string;
                /** @description Send exactly these with the PUT, and a body of exactly `bytes` (the URL signs them and the length). */
                headers: {
                    "content-type": string;
                    /** @constant */
                    "x-amz-server-side-encryption": "AES256";
                    /** @description With a `filename`: `attachment; filename*=UTF-8''…`, the name the object keeps (a header, so it is in no URL). */
                    "content-disposition"?: string;
                };
                /** @description The PUT must start before then. */
                expiresAt: string;
            };
        };
        /** @description A customer on every channel the hub links them on (same phone number or e-mail address). */
        Person: {
            contactId: components["schemas"]["ContactId"];
            channels: {
                /**
                 * @description The messaging channel the event belongs to.
                 * @enum {string}
                 */
                channel: "messenger" | "whatsapp" | "sms" | "email";
                identities: components["schemas"]["ChannelIdentity"][];
                displayName?: string;
                /** @description By scope: `sms`, `whatsapp_marketing`, `messenger_notifications`, `email`. */
                consent: {
                    [key: string]: {
                        /** @enum {string} */
                        consent: "opted_out" | "opted_in" | "help_requested";
                        trigger: string | null;
                        at: string;
                    };
                };
            }[];
            /** @description People the helpdesk merged into this one (each can be unmerged). */
            merged: {
                contactId: components["schemas"]["ContactId"];
                reason: string;
                mergedAt: string;
            }[];
        };
        /** @description The erasure's counts: the event's data, and what the providers did. */
        ContactErasure: {
            contactId: components["schemas"]["ContactId"];
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            erasedAt: string;
            itemsDeleted: number;
            objectsDeleted: number;
            tombstones: number;
            optOutsKept: number;
            /** @description What the providers were asked to forget. Meta has no API that deletes message content (it keeps it at most 30 days); the hub's own WhatsApp uploads are deleted. Absent when the call had no provider to ask and nothing was pending; a call without provider access asks none and counts what was pending as `failed`, kept for the retry. */
            providerRedactions?: {
                twilio: {
                    /** @description Messages whose body Twilio now keeps empty (or no longer has), their media deleted. */
                    messages: number;
                    /** @description Media resources deleted. */
                    media: number;
                    /** @description Messages Twilio may still hold (a refusal, e.g. still sending, no credentials, no time left): kept under the person and retried by the attention sweeper (5 minutes later, then less often) and by the next erasure call. */
                    failed: number;
                };
                whatsapp: {
                    /** @description Files the hub uploaded to WhatsApp for its sends, deleted at Meta (or already expired). */
                    uploads: number;
                    /** @description Uploads Meta may still hold (a refusal, no token, no time left): kept under the person and retried by the attention sweeper (5 minutes later, then less often) and by the next erasure call. */
                    failed: number;
                };
            };
        };
        ConsentRecorded: {
            contactId: components["schemas"]["ContactId"];
            /**
             * @description The messaging channel the event belongs to.
             * @enum {string}
             */
            channel: "messenger" | "whatsapp" | "sms" | "email";
            scope: string;
            /** @enum {string} */
            consent: "opted_out" | "opted_in";
            at: string;
            contacts: number;
        };
        /** @description The person's consent ledger on every channel, newest first: every change the hub recorded (the registers the sender consults hold the latest per scope), a page at a time; `nextCursor` when older changes follow. */
        ConsentHistory: {
            contactId: components["schemas"]["ContactId"];
            changes: {
                /**
                 * @description The messaging channel the event belongs to.
                 * @enum {string}
                 */
                channel: "messenger" | "whatsapp" | "sms" | "email";
                scope: string;
                /** @enum {string} */
                consent: "opted_out" | "opted_in" | "help_requested";
                trigger: string | null;
                /** @enum {string} */
                source: "provider" | "helpdesk";
                evidence?: string;
                at: string;
                eventId: string;
            }[];
            /** @description Opaque; pass it back as `cursor` for the next page. */
            nextCursor?: string;
        };
        ContactMergeData: {
            survivingContactId: components["schemas"]["ContactId"];
            discardedContactId: components["schemas"]["ContactId"];
            reason: string;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            mergedAt: string;
            /**
             * Format: date-time
             * @description ISO 8601 date-time (UTC, milliseconds).
             */
            unmergedAt?: string;
            conversationIds: string[];
        };
        /** @description Everything the hub holds about a person (right of access), in pages: follow `nextCursor` until it is absent. */
        PersonExport: {
            contactId: components["schemas"]["ContactId"];
            exportedAt: string;
            /** @description Every stored item of the person, by kind of the key catalogue, as stored: each once over the pages, in no meaningful order. */
            items: {
                kind: string;
                item: unknown;
            }[];
            /** @description Payload-bucket keys the items name, and those their conversations own (claim checks, attachments, bodies): each once over the pages, after every item. */
            objects: string[];
            /** @description Opaque; pass it back as `cursor` for the next page. */
            nextCursor?: string;
        };
        OpenApiDocument: {
            [key: string]: unknown;
        };
    };
    responses: {
        /** @description Authentication required (`urn:switchboard:problem:unauthorized`); API Gateway, with a JWT authorizer: no token, or one it does not take (`{"message":"Unauthorized"}`, `WWW-Authenticate` saying why) */
        "Status-401-unauthorized": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                /** @description The scheme to authenticate with (RFC 9110 11.6.1): `Bearer` (the function's, the local hub's with its realm, API Gateway's JWT authorizer's with the error). */
                "www-authenticate": string;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
        /** @description API Gateway: IAM authorization failed (no SigV4 signature, a wrong one, a policy that does not allow the route), or a JWT without the route's scope (`{"message":"Forbidden"}`) */
        "Status-403": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
        /** @description API Gateway: a body over its 10 MB, or a request over Lambda's 6 MB invocation payload (`{"message":"Request Entity Too Large"}`) */
        "Status-413": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
        /** @description API Gateway: the request was throttled (`{"message":"Too Many Requests"}`) */
        "Status-429": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
        /** @description Internal error (`urn:switchboard:problem:internal`); API Gateway: the function failed, or gave an answer it could not read (`{"message":"Internal Server Error"}`) */
        "Status-500-internal": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
        /** @description API Gateway: the function did not answer in time (`{"message":"Service Unavailable"}`); the local hub while it starts or stops, as a problem with `Retry-After` */
        "Status-503": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                /** @description The local hub while it starts or stops: seconds to wait before asking again. */
                "retry-after"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
        /** @description The body is too large (`urn:switchboard:problem:payload-too-large`); API Gateway: a body over its 10 MB, or a request over Lambda's 6 MB invocation payload (`{"message":"Request Entity Too Large"}`) */
        "Status-413-tooLarge": {
            headers: {
                "cache-control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"] | components["schemas"]["GatewayError"];
                "application/json": components["schemas"]["GatewayError"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description Always `no-store` (deployed and on the local hub): no cache may keep an answer. */
        CacheControl: "no-store";
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listConversations: {
        parameters: {
            query?: {
                status?: "open" | "pending" | "snoozed" | "resolved";
                /** @description Only conversations whose customer waits for an answer (open, unanswered), longest wait first. */
                waiting?: boolean;
                /** @description Newest activity first (default: by the hour of last activity across pages, exact within a page; with `contact`, exact), or longest wait first (implies `waiting`). */
                sort?: "activity" | "waiting";
                channel?: "messenger" | "whatsapp" | "sms" | "email";
                /** @description The business endpoint id. */
                endpoint?: string;
                /** @description A contact's conversations (not with `waiting`). */
                contact?: components["schemas"]["ContactId"];
                assignee?: string;
                label?: string;
                /** @description Page size (default 25). */
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of conversations. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    getConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The conversation; `ETag` is its version with a marker of its creation, for `If-Match`. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    /** @description The version and a marker of the conversation's creation as a strong ETag, e.g. `"12.1f0c9a3b"`: a conversation erased and created again under its id has another. */
                    etag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    patchConversation: {
        parameters: {
            query?: never;
            header: {
                "If-Match": string;
            };
            path: {
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationPatch"];
            };
        };
        responses: {
            /** @description The changed conversation. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    /** @description The version and a marker of the conversation's creation as a strong ETag, e.g. `"12.1f0c9a3b"`: a conversation erased and created again under its id has another. */
                    etag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Conversation"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request conflicts with the current state (`urn:switchboard:problem:conflict`) */
            409: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The conversation changed since that version (`urn:switchboard:problem:version-mismatch`) */
            412: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    /** @description The conversation's current ETag: send the change again with it in `If-Match` if it still holds. The version and a marker of the conversation's creation as a strong ETag, e.g. `"12.1f0c9a3b"`: a conversation erased and created again under its id has another. */
                    etag: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match with the current version is required (`urn:switchboard:problem:if-match-required`) */
            428: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    listMessages: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Without a cursor: the first page from the oldest message (default) or the newest. */
                from?: "oldest" | "newest";
            };
            header?: never;
            path: {
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of messages. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessagePage"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    sendMessage: {
        parameters: {
            query?: never;
            header: {
                "Idempotency-Key": string;
            };
            path: {
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SendMessageRequest"];
            };
        };
        responses: {
            /** @description Queued. */
            202: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SendAccepted"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The Idempotency-Key was already used for other content (`urn:switchboard:problem:idempotency-key-reused`) */
            422: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    markRead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MarkReadRequest"];
            };
        };
        responses: {
            /** @description Queued. */
            202: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAccepted"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    typing: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversationId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["TypingRequest"];
            };
        };
        responses: {
            /** @description Queued. */
            202: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAccepted"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    getMessageMedia: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                hubMessageId: string;
                partIndex: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A download URL. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MediaDownload"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`); The hub does not keep this attachment (`urn:switchboard:problem:media-not-kept`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The attachment is not stored yet (`urn:switchboard:problem:media-not-stored`) */
            409: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    /** @description Seconds to wait before asking again: the copy is queued or under way. */
                    "retry-after": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The attachment could not be stored (`urn:switchboard:problem:media-failed`) */
            410: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    getMessageBody: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                hubMessageId: string;
                kind: "html" | "text";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A download URL. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EmailBodyDownload"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    createMediaUpload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MediaUploadRequest"];
            };
        };
        responses: {
            /** @description Where to upload. */
            201: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MediaUpload"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    getContact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The contact. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Person"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    eraseContact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Erased; the event's data, with what the providers did. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactErasure"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request conflicts with the current state (`urn:switchboard:problem:conflict`) */
            409: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    consentHistory: {
        parameters: {
            query?: {
                /** @description Page size (default and most: 500 changes). */
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The ledger. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentHistory"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    setConsent: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConsentChange"];
            };
        };
        responses: {
            /** @description Recorded. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentRecorded"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The Idempotency-Key named a change erased with its person (`urn:switchboard:problem:idempotency-key-erased`) */
            409: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The Idempotency-Key was already used for other content (`urn:switchboard:problem:idempotency-key-reused`) */
            422: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    mergeContact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ContactMergeRequest"];
            };
        };
        responses: {
            /** @description Merged; the same data as the event. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactMergeData"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The request conflicts with the current state (`urn:switchboard:problem:conflict`) */
            409: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    unmergeContact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ContactMergeRequest"];
            };
        };
        responses: {
            /** @description Unmerged; the same data as the event. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactMergeData"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413-tooLarge"];
            /** @description The body must be application/json (`urn:switchboard:problem:unsupported-media-type`) */
            415: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    exportContact: {
        parameters: {
            query?: {
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PersonExport"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            /** @description Not found (`urn:switchboard:problem:not-found`) */
            404: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    contactConversations: {
        parameters: {
            query?: {
                status?: "open" | "pending" | "snoozed" | "resolved";
                /** @description Page size (default 25). */
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description The hub's id of a person across channels. */
                contactId: components["schemas"]["ContactId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of conversations. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
    openApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The document. */
            200: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiDocument"];
                };
            };
            /** @description The request is not valid (`urn:switchboard:problem:invalid-request`) */
            400: {
                headers: {
                    "cache-control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            401: components["responses"]["Status-401-unauthorized"];
            403: components["responses"]["Status-403"];
            413: components["responses"]["Status-413"];
            429: components["responses"]["Status-429"];
            500: components["responses"]["Status-500-internal"];
            503: components["responses"]["Status-503"];
        };
    };
}
