import { z } from 'zod';

/**
 * Channel credentials. In AWS they live in one Secrets Manager secret (JSON of this shape); locally
 * they come from environment variables with development defaults. Never logged.
 */
export const ChannelSecretsSchema = z.object({
  meta: z.object({
    /** Signs X-Hub-Signature-256 on Messenger and WhatsApp webhooks. */
    appSecret: z.string().min(1),
    /** Echoed back in the GET subscription handshake. */
    verifyToken: z.string().min(1),
    /** App ids whose echoes are the hub's own sends (marked `sentBy: hub`). */
    hubAppIds: z.array(z.string()).default([]),
  }),
  twilio: z.object({
    authToken: z.string().min(1),
    /** Accepted too during auth-token rotation. */
    secondaryAuthToken: z.string().min(1).optional(),
  }),
  mailgun: z.object({
    /** The HTTP webhook signing key. */
    signingKey: z.string().min(1),
  }),
});
export type ChannelSecrets = z.infer<typeof ChannelSecretsSchema>;

/** Development defaults for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_SECRETS: ChannelSecrets = {
  meta: {
    appSecret: 'local-meta-app-secret',
    verifyToken: 'local-verify-token',
    hubAppIds: ['100000000000001'],
  },
  twilio: { authToken: 'local-twilio-auth-token' },
  mailgun: { signingKey: 'local-mailgun-signing-key' },
};

/** Local secrets, each overridable by an environment variable. */
export const localSecretsFromEnv = (env: NodeJS.ProcessEnv = process.env): ChannelSecrets =>
  ChannelSecretsSchema.parse({
    meta: {
      appSecret: env.SWITCHBOARD_META_APP_SECRET ?? LOCAL_DEV_SECRETS.meta.appSecret,
      verifyToken: env.SWITCHBOARD_META_VERIFY_TOKEN ?? LOCAL_DEV_SECRETS.meta.verifyToken,
      hubAppIds:
        env.SWITCHBOARD_META_HUB_APP_IDS?.split(',').filter(Boolean) ?? LOCAL_DEV_SECRETS.meta.hubAppIds,
    },
    twilio: {
      authToken: env.SWITCHBOARD_TWILIO_AUTH_TOKEN ?? LOCAL_DEV_SECRETS.twilio.authToken,
      secondaryAuthToken: env.SWITCHBOARD_TWILIO_SECONDARY_AUTH_TOKEN,
    },
    mailgun: { signingKey: env.SWITCHBOARD_MAILGUN_SIGNING_KEY ?? LOCAL_DEV_SECRETS.mailgun.signingKey },
  });
