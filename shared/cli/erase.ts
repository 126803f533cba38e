import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createWiredHelpdeskApi, type HelpdeskApiWiring } from '#shared/api/wiring.ts';
import { deployedPseudonymKeyArn, localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { localSecretsFromEnv } from '#shared/config/secrets.ts';
import { cliAwsRegion } from '#shared/local/aws-region.ts';
import { swallowedHub } from '#shared/local/cli-args.ts';
import { isEntryPoint } from '#shared/local/cli-output.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { checkedPseudonymKey } from '#shared/store/pseudonym-key-check.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';

const DEFAULT_HUB = 'http://127.0.0.1:3000';

const USAGE = `usage: npm run erase -- <contactId> [--hub http://127.0.0.1:3000]
       npm run erase -- <contactId> --deployed --yes
  Erases the person everywhere the hub keeps anything (as DELETE /v1/contacts/{contactId}) and
  publishes switchboard.contact.erased. It prints where it erases (hub URL or table name) first.
  --hub URL     the local hub (default ${DEFAULT_HUB}) and its provider simulators; always local,
                whatever the environment holds
  --deployed    the deployed tables instead: with SWITCHBOARD_TABLE_NAME, SWITCHBOARD_PAYLOAD_BUCKET,
                SWITCHBOARD_HELPDESK_QUEUE_URL, SWITCHBOARD_OUTBOX_QUEUE_URL and SWITCHBOARD_PSEUDONYM_KEY_ARN
                (the PseudonymKeyArn output: kept opt-outs are filed under it) set (the stack outputs) and
                AWS credentials (the region: the queue URLs', else AWS_REGION or the profile's), and SWITCHBOARD_TWILIO_SECRET_ARN and SWITCHBOARD_META_SECRET_ARN (the
                TwilioSecretArn and MetaSecretArn outputs) to redact the person's messages at Twilio and
                delete the hub's WhatsApp uploads too
  --yes         confirms a --deployed erasure (refused without it)
  --help        this text`;

const DeployedSchema = z.object({
  SWITCHBOARD_TABLE_NAME: z.string().min(1),
  SWITCHBOARD_PAYLOAD_BUCKET: z.string().min(1),
  SWITCHBOARD_HELPDESK_QUEUE_URL: z.url(),
  SWITCHBOARD_OUTBOX_QUEUE_URL: z.url(),
});
type DeployedEnv = z.infer<typeof DeployedSchema>;

const parseEraseArgs = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      hub: { type: 'string' },
      deployed: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** Where `npm run erase` acts, decided from its arguments and environment alone (nothing is read yet). */
export type EraseTarget =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'refused'; readonly message: string; readonly code: 1 | 2 }
  | { readonly kind: 'local'; readonly contactId: string; readonly hubUrl: string; readonly note?: string }
  | { readonly kind: 'deployed'; readonly contactId: string; readonly env: DeployedEnv };

/**
 * An explicit `--hub`, or no flag, is the local hub, whatever the environment holds; the deployed
 * tables only with `--deployed` and `--yes`, and the stack outputs set.
 */
export const resolveEraseTarget = (
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): EraseTarget => {
  let parsed: ReturnType<typeof parseEraseArgs>;
  try {
    parsed = parseEraseArgs(argv);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'bad arguments';
    return { kind: 'refused', message: `${reason}\n${USAGE}`, code: 2 };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: USAGE };
  const contactId = positionals[0];
  if (!contactId || positionals.length > 1) return { kind: 'refused', message: USAGE, code: 2 };
  // `npm run erase --hub=URL …` or `--deployed` before the `--`: npm keeps them (npm_config_hub,
  // npm_config_deployed) and passes nothing on, so this would erase at the default hub instead (found
  // by a README walkthrough). Refused as the table commands refuse them.
  const kept =
    (values.hub === undefined ? swallowedHub('erase', env) : undefined) ??
    (!values.deployed && env.npm_config_deployed === 'true'
      ? 'npm took --deployed as its own option and did not pass it on, so this would erase at the local hub: nothing was done. Write npm run erase -- <contactId> --deployed --yes (the -- passes them to the command)'
      : undefined);
  if (kept) return { kind: 'refused', message: kept, code: 2 };
  const deployed = DeployedSchema.safeParse(env);
  if (values.deployed) {
    if (values.hub !== undefined)
      return { kind: 'refused', message: 'pass either --hub (local) or --deployed, not both', code: 2 };
    if (!deployed.success)
      return {
        kind: 'refused',
        message:
          '--deployed needs the stack outputs SWITCHBOARD_TABLE_NAME, SWITCHBOARD_PAYLOAD_BUCKET, SWITCHBOARD_HELPDESK_QUEUE_URL and SWITCHBOARD_OUTBOX_QUEUE_URL',
        code: 2,
      };
    if (!values.yes)
      return {
        kind: 'refused',
        message: `refusing to erase ${contactId} in the deployed table ${deployed.data.SWITCHBOARD_TABLE_NAME} without --yes`,
        code: 1,
      };
    return { kind: 'deployed', contactId, env: deployed.data };
  }
  return {
    kind: 'local',
    contactId,
    hubUrl: values.hub ?? DEFAULT_HUB,
    ...(deployed.success && values.hub === undefined
      ? {
          note: `note: SWITCHBOARD_TABLE_NAME (${deployed.data.SWITCHBOARD_TABLE_NAME}) is set but ignored: pass --deployed --yes to erase there`,
        }
      : {}),
  };
};

/** The Graph API version the sender calls (SWITCHBOARD_GRAPH_API_VERSION, as in shared/config/runtime.ts). */
const GraphVersionSchema = z
  .string()
  .regex(/^v\d{1,3}\.\d{1,2}$/)
  .default('v23.0');

/**
 * Deployed: the providers' secrets, when named, for the redactions at Twilio and WhatsApp (the
 * legacy one secret, SWITCHBOARD_SECRET_ARN, is still read when neither is named); the sender's URLs.
 */
const DeployedProvidersSchema = z
  .object({
    SWITCHBOARD_TWILIO_SECRET_ARN: z.string().min(1).optional(),
    SWITCHBOARD_META_SECRET_ARN: z.string().min(1).optional(),
    SWITCHBOARD_SECRET_ARN: z.string().min(1).optional(),
    SWITCHBOARD_TWILIO_API_URL: z.url().default('https://api.twilio.com'),
    SWITCHBOARD_GRAPH_API_URL: z.url().default('https://graph.facebook.com'),
    SWITCHBOARD_GRAPH_API_VERSION: GraphVersionSchema,
  })
  .refine(
    (env) =>
      (env.SWITCHBOARD_TWILIO_SECRET_ARN ?? env.SWITCHBOARD_META_SECRET_ARN ?? env.SWITCHBOARD_SECRET_ARN) !==
      undefined,
  );

const main = async (): Promise<void> => {
  const target = resolveEraseTarget(process.argv.slice(2), process.env);
  if (target.kind === 'help') {
    console.log(target.text);
    return;
  }
  if (target.kind === 'refused') {
    console.error(target.message);
    process.exitCode = target.code;
    return;
  }
  const { contactId } = target;
  const deployed = target.kind === 'deployed' ? target.env : undefined;
  if (target.kind === 'local' && target.note) console.error(target.note);
  // Deployed, the kept opt-outs go under the stack's pseudonym key: the local one would file them
  // where the hub never looks (`local` or SWITCHBOARD_PSEUDONYM_KEY left exported is refused).
  if (deployed) deployedPseudonymKeyArn();
  const info = target.kind === 'local' ? await fetchHubInfo(target.hubUrl) : undefined;
  if (target.kind === 'local' && !info)
    throw new Error(
      `no local hub at ${target.hubUrl} (start one with npm start; deployed: --deployed --yes)`,
    );
  // Where it erases, before anything is read or written (stderr: stdout carries the report alone).
  console.error(
    target.kind === 'local'
      ? `erasing ${contactId} at the local hub ${target.hubUrl} (table ${info?.resources.tableName})`
      : `erasing ${contactId} in the deployed table ${target.env.SWITCHBOARD_TABLE_NAME}`,
  );
  // Deployed, the region: the stack's queue URLs', else the SDK's (AWS_REGION, the profile).
  const options = info
    ? { region: info.region, credentials: info.credentials }
    : {
        region: await cliAwsRegion([
          deployed?.SWITCHBOARD_HELPDESK_QUEUE_URL,
          deployed?.SWITCHBOARD_OUTBOX_QUEUE_URL,
        ]),
      };
  const dynamodb = new DynamoDBClient({ ...options, ...(info ? { endpoint: info.endpoints.dynamodb } : {}) });
  const sqs = new SQSClient({ ...options, ...(info ? { endpoint: info.endpoints.sqs } : {}) });
  const s3 = new S3Client({
    ...options,
    ...(info ? { endpoint: info.endpoints.s3, forcePathStyle: true } : {}),
  });
  const deployedProviders = DeployedProvidersSchema.safeParse(process.env);
  const providers: HelpdeskApiWiring['providers'] = info
    ? info.providers && {
        twilioApiUrl: info.providers.twilio,
        graphApiUrl: info.providers.graph,
        graphApiVersion: GraphVersionSchema.parse(process.env.SWITCHBOARD_GRAPH_API_VERSION),
        secrets: async () => localSecretsFromEnv(),
      }
    : deployedProviders.success
      ? {
          twilioApiUrl: deployedProviders.data.SWITCHBOARD_TWILIO_API_URL,
          graphApiUrl: deployedProviders.data.SWITCHBOARD_GRAPH_API_URL,
          graphApiVersion: deployedProviders.data.SWITCHBOARD_GRAPH_API_VERSION,
          secrets: async () => (await import('#shared/aws/secrets.ts')).channelSecrets(),
        }
      : undefined;
  if (!providers)
    console.error(
      'note: nothing is redacted at Twilio or WhatsApp (no SWITCHBOARD_TWILIO_SECRET_ARN or SWITCHBOARD_META_SECRET_ARN, or no provider simulators); redactions an earlier erasure left pending stay for the sweeper',
    );
  const tableName = info?.resources.tableName ?? deployed?.SWITCHBOARD_TABLE_NAME ?? '';
  const pseudonymKey: PseudonymKeySource = info
    ? localPseudonymKey
    : async (options) => (await import('#shared/aws/secrets.ts')).pseudonymKey(options);
  // Warnings and a refused key's line on stderr: stdout carries the report alone.
  const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
  if (!info) {
    // Deployed, the key is compared with the table's check item first (never the first written
    // there), so a refusal says why and what to do; the API itself would answer a bare 500.
    await checkedPseudonymKey({ client: dynamodb, tableName, now: () => new Date() }, pseudonymKey, {
      logger,
      firstWrite: false,
    })();
  }
  const api = createWiredHelpdeskApi({
    dynamodb,
    sqs,
    s3,
    tableName,
    payloadBucket: info?.resources.bucketName ?? deployed?.SWITCHBOARD_PAYLOAD_BUCKET ?? '',
    helpdeskQueueUrl: info?.resources.helpdeskQueueUrl ?? deployed?.SWITCHBOARD_HELPDESK_QUEUE_URL ?? '',
    outboxQueueUrl: info?.resources.outboxQueueUrl ?? deployed?.SWITCHBOARD_OUTBOX_QUEUE_URL ?? '',
    ...(providers ? { providers } : {}),
    pseudonymKey,
    pseudonymKeyFirstWrite: info !== undefined,
    logger,
  });
  const response = await api({
    method: 'DELETE',
    path: `/v1/contacts/${encodeURIComponent(contactId)}`,
    query: {},
    headers: {},
    principal: 'operator:npm-run-erase',
  });
  console.log(JSON.stringify(response.body, null, 2));
  if (response.status !== 200) process.exitCode = 1;
  for (const client of [dynamodb, sqs, s3]) client.destroy();
};

if (isEntryPoint(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`erase failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}`);
    process.exitCode = 1;
  });
}
