import { z } from 'zod';
import { HUB_INFO_PATH } from './routes.ts';

/**
 * What `GET /_switchboard/local` answers on the local hub (never in AWS): where the emulators are,
 * so the replay kit and the example consumer need no configuration against a local hub.
 */
export const HubInfoSchema = z.looseObject({
  service: z.literal('switchboard-local-hub'),
  region: z.string(),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  endpoints: z.object({ dynamodb: z.string(), sqs: z.string(), s3: z.string() }),
  resources: z.object({
    tableName: z.string(),
    ingestQueueUrl: z.string(),
    ingestDlqUrl: z.string(),
    helpdeskQueueUrl: z.string(),
    helpdeskDlqUrl: z.string(),
    outboxQueueUrl: z.string(),
    outboxDlqUrl: z.string(),
    bucketName: z.string(),
  }),
  /** The provider simulators' base URLs, when the hub plays the providers. */
  providers: z.object({ twilio: z.string(), graph: z.string() }).optional(),
  /**
   * SWITCHBOARD_PUBLIC_BASE_URL as the hub's functions see it, when set (a tunnel exposes the hub):
   * the SMS webhook checks Twilio signatures over it, so the local tools sign Twilio requests over
   * it too (shared/local/twilio-signed-url.ts) while posting them to the hub directly.
   */
  publicBaseUrl: z.string().optional(),
});
export type HubInfo = z.infer<typeof HubInfoSchema>;

/** The hub's self-description, or undefined when the target is not a local hub (e.g. a deployed API). */
export const fetchHubInfo = async (baseUrl: string): Promise<HubInfo | undefined> => {
  try {
    const response = await fetch(new URL(HUB_INFO_PATH, baseUrl), { signal: AbortSignal.timeout(3000) });
    if (!response.ok) return undefined;
    const parsed = HubInfoSchema.safeParse(await response.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};
