import * as v from 'valibot';
import { lazily, nonEmptyString, object, record } from '#shared/validation/schema.ts';
import type { SectionParsing } from './sections.ts';

/** Meta's section: the Messenger and WhatsApp webhooks' and replies' credentials. */
export const MetaSectionSchema = lazily(() =>
  object({
    /** Signs X-Hub-Signature-256 on Messenger and WhatsApp webhooks. */
    appSecret: nonEmptyString(),
    /** Echoed back in the GET subscription handshake. */
    verifyToken: nonEmptyString(),
    /** App ids whose echoes are the hub's own sends (marked `sentBy: hub`). */
    hubAppIds: v.optional(v.array(v.string()), []),
    /** Sending: a system user's token for every page and WhatsApp number (Graph API `Authorization: Bearer`). */
    accessToken: v.optional(nonEmptyString()),
    /**
     * Sending: a token per page id, Instagram account id or WhatsApp phone-number id, preferred over
     * `accessToken` (Messenger page tokens). An Instagram account's is the Page access token of the
     * page linked to it: its sends go to `/me/messages`, which Meta resolves from the token.
     */
    accessTokens: v.optional(record(nonEmptyString())),
  }),
);
export type MetaSection = v.InferOutput<typeof MetaSectionSchema>;

/**
 * The Graph token for a page or WhatsApp phone-number id: its own, else the system user's (what
 * sends and uploads, and erasure deletes uploads, with). An Instagram account's is its own only:
 * its sends go to `/me/messages`, where `me` is whoever the token is, so the system user's token
 * would be refused by Meta (100/33) as content rather than credentials; without its own the send
 * ends `credentials` (paused, alarmed) before any call.
 */
export const metaAccessTokenFor = (
  meta: MetaSection | undefined,
  id: string,
  endpointType?: string,
): string | undefined =>
  endpointType === 'instagram_account'
    ? meta?.accessTokens?.[id]
    : (meta?.accessTokens?.[id] ?? meta?.accessToken);

/**
 * The Instagram account of the samples (events/messenger/instagram-*.json), which the local hub
 * answers with a Page access token of its own, as a deployment must (see `accessTokens`).
 */
const LOCAL_INSTAGRAM_ACCOUNT_ID = '17841458392017465';

/** Meta's development defaults for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_META: MetaSection = {
  appSecret: 'local-meta-app-secret',
  verifyToken: 'local-verify-token',
  hubAppIds: ['100000000000001'],
  accessToken: 'local-meta-access-token',
  accessTokens: { [LOCAL_INSTAGRAM_ACCOUNT_ID]: 'local-instagram-page-access-token' },
};

/** `SWITCHBOARD_META_ACCESS_TOKENS`: a JSON object of tokens by page, Instagram account or phone-number id. */
const accessTokensFromEnv = (json: string | undefined): unknown => {
  if (json === undefined) return LOCAL_DEV_META.accessTokens;
  try {
    return JSON.parse(json);
  } catch {
    throw new Error('SWITCHBOARD_META_ACCESS_TOKENS is not JSON (an object of tokens by id)');
  }
};

/** How the Meta section is read: the Messenger and WhatsApp webhooks read it alone. */
export const META_SECRET: SectionParsing<'meta'> = {
  schema: MetaSectionSchema,
  localInput: (env) => ({
    appSecret: env.SWITCHBOARD_META_APP_SECRET ?? LOCAL_DEV_META.appSecret,
    verifyToken: env.SWITCHBOARD_META_VERIFY_TOKEN ?? LOCAL_DEV_META.verifyToken,
    hubAppIds: env.SWITCHBOARD_META_HUB_APP_IDS?.split(',').filter(Boolean) ?? LOCAL_DEV_META.hubAppIds,
    accessToken: env.SWITCHBOARD_META_ACCESS_TOKEN ?? LOCAL_DEV_META.accessToken,
    accessTokens: accessTokensFromEnv(env.SWITCHBOARD_META_ACCESS_TOKENS),
  }),
};
