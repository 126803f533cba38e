import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { toSqsSafeJson } from '#shared/aws/event-publisher.ts';
import {
  COMMAND_TYPES,
  type OutboundPart,
  OutboundTemplatePartSchema,
  SendMessageCommandSchema,
  type SendMessageData,
} from '#shared/contract/commands.ts';
import {
  CONVERSATION_ID_PATTERN,
  outboundHubMessageId,
  outboxDeduplicationId,
} from '#shared/contract/ids.ts';
import { cliAwsRegion } from '#shared/local/aws-region.ts';
import { isAnswered, parseOrAnswer, swallowedHub } from '#shared/local/cli-args.ts';
import { isEntryPoint, terminalOutput } from '#shared/local/cli-output.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import { createSendStore, isCommandHashOf, type SendRecord } from '#shared/store/sends.ts';

const USAGE = `usage: npm run send -- <conversationId> <text> [options]
  Puts a send_message command on the outbox and, against a local hub, waits for its outcome.
  --hub URL             local hub (default http://127.0.0.1:3000; when given, always the local hub)
  --key KEY             idempotency key (default: a new one; repeat a key to see the hub send once)
  --template NAME       send an approved template instead of text (with --language, --param …)
  --language CODE       template language (default en_US)
  --param VALUE         a template body parameter, in order (repeatable)
  --category CATEGORY   the template's category as approved at Meta: utility, marketing or
                        authentication (default none, which a WhatsApp marketing opt-out takes for
                        marketing: give utility or authentication for a template that may still go)
  --agent ID            the agent answering (default cli)
  --help                this text
  Against AWS (without --hub): set SWITCHBOARD_OUTBOX_QUEUE_URL (stack output OutboxQueueUrl) and AWS
  credentials (the region: the queue URL's, else AWS_REGION); the outcome arrives on the helpdesk queue.
  Exits 1 when the send failed, the key already names another message, or no outcome came within 30 s;
  2 for arguments it refuses (text or a key the command contract does not take, say).`;

const WAIT_MS = 30_000;
const DEFAULT_HUB = 'http://127.0.0.1:3000';

/**
 * Where the command goes: an explicit `--hub` is the local hub whatever the environment holds. A
 * `--hub=URL` written before the `--` is kept by npm (npm_config_hub) and not passed on, so the
 * command would go to the deployed outbox SWITCHBOARD_OUTBOX_QUEUE_URL names, or the default hub:
 * refused (found by a README walkthrough).
 */
export type SendTarget =
  | { readonly kind: 'local'; readonly hubUrl: string }
  | { readonly kind: 'deployed'; readonly outboxQueueUrl: string }
  | { readonly kind: 'refused'; readonly message: string };

export const resolveSendTarget = (
  hub: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): SendTarget => {
  if (hub !== undefined) return { kind: 'local', hubUrl: hub };
  const kept = swallowedHub('send', env);
  if (kept) return { kind: 'refused', message: kept };
  const deployed = z.url().safeParse(env.SWITCHBOARD_OUTBOX_QUEUE_URL);
  return deployed.success
    ? { kind: 'deployed', outboxQueueUrl: deployed.data }
    : { kind: 'local', hubUrl: DEFAULT_HUB };
};

/**
 * A failure in one line: its reason, the hub's detail and what the provider said (code and title,
 * as the send_failed event carries them; never its message or details, which may quote the customer).
 */
const failureText = (failure: SendRecord['failure']): string => {
  if (!failure) return 'no reason recorded';
  const provider = (failure.errors ?? []).map((error) =>
    error.title ? `${error.code} ${error.title}` : error.code,
  );
  const said = [
    ...(failure.failedField ? [`field ${failure.failedField}`] : []),
    ...(failure.detail ? [failure.detail] : []),
    ...(provider.length > 0 ? [`provider: ${provider.join('; ')}`] : []),
  ];
  return said.length > 0 ? `${failure.reason} (${said.join('; ')})` : failure.reason;
};

/** The exit code once waiting ends, from the send's last record: 0 only for a send that went. */
export const sendOutcome = (
  record: SendRecord | undefined,
): { readonly code: 0 | 1; readonly message: string } =>
  record?.state === 'sent'
    ? { code: 0, message: 'sent' }
    : record?.state === 'failed'
      ? { code: 1, message: `send failed: ${failureText(record.failure)}` }
      : {
          code: 1,
          message: `timed out after ${WAIT_MS / 1000} s waiting for the outcome (${record ? `still sending: ${record.next} of ${record.messageCount} out` : 'the sender never picked it up'})`,
        };

/**
 * The refusal when the key's send record is of another command (other text, template or agent): the
 * hub sends a key's first content only (the outbox drops a repeat as a duplicate, the sender refuses it
 * after that), so this one is never sent, though the record read is the first one's, `sent` perhaps.
 * The helpdesk API's rule for its 422 idempotency-key-reused (`isCommandHashOf`). Undefined when there
 * is no record yet or it is this command's (a repeat of the same command, which the hub sends once).
 */
export const keyReusedBy = (record: SendRecord | undefined, data: SendMessageData): string | undefined =>
  record && !isCommandHashOf(record.commandHash, data)
    ? `not sent: key ${data.idempotencyKey} already names another message in this conversation (${record.hubMessageId}), and the hub sends a key's first content only; send this one with a new --key (or without --key)`
    : undefined;

/** The categories a template part may name (the contract's). */
const TemplateCategorySchema = OutboundTemplatePartSchema.shape.category;
const TEMPLATE_CATEGORIES = TemplateCategorySchema.unwrap().options;

/** The command-line argument each field of the command comes from. */
const ARGUMENT_OF: Readonly<Record<string, string>> = {
  'data.conversationId': '<conversationId>',
  'data.idempotencyKey': '--key',
  'data.sender.id': '--agent',
  'data.parts.0.text': '<text>',
  'data.parts.0.name': '--template',
  'data.parts.0.language': '--language',
  'data.parts.0.category': '--category',
};

/**
 * Why the command contract refuses what the arguments built, in one line naming the argument (the
 * first issue: one is enough to fix); before, a raw ZodError and exit 1, the code of a failed send.
 */
const refusedArgument = (issues: readonly z.core.$ZodIssue[]): string => {
  const issue = issues[0];
  if (!issue) return 'not sent: the command contract refused the arguments';
  const path = issue.path.map(String).join('.');
  const argument = path.startsWith('data.parts.0.parameters') ? '--param' : (ARGUMENT_OF[path] ?? path);
  return `not sent: ${argument} refused: ${issue.message}`;
};

const parseSendArgs = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      hub: { type: 'string' },
      key: { type: 'string' },
      template: { type: 'string' },
      language: { type: 'string', default: 'en_US' },
      param: { type: 'string', multiple: true },
      category: { type: 'string' },
      agent: { type: 'string', default: 'cli' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** Runs the send; returns the process exit code (1 when it was not sent, 2 for bad arguments). */
const main = async (argv: readonly string[]): Promise<number> => {
  const parsed = parseOrAnswer(
    () => parseSendArgs(argv),
    USAGE,
    terminalOutput(),
    terminalOutput(process.stderr),
  );
  if (isAnswered(parsed)) return parsed.exitCode;
  const { values, positionals } = parsed;
  const [conversationId, text] = positionals;
  // An empty text ('') goes on to the contract, which names it as it names a blank one.
  if (!conversationId || (text === undefined && !values.template)) {
    console.error(USAGE);
    return 2;
  }
  if (!CONVERSATION_ID_PATTERN.test(conversationId)) {
    console.error(
      `not sent: <conversationId> refused: not a conversation id (conv_ and 32 hex digits)\n${USAGE}`,
    );
    return 2;
  }
  if (values.category !== undefined && !values.template) {
    console.error(`--category goes with --template\n${USAGE}`);
    return 2;
  }
  // No category unless given: the hub takes a template without one for marketing where that matters
  // (a WhatsApp marketing opt-out), so a marketing template never passes as utility (found by a review).
  const category = TemplateCategorySchema.safeParse(values.category);
  if (!category.success) {
    console.error(`--category must be one of ${TEMPLATE_CATEGORIES.join(', ')}\n${USAGE}`);
    return 2;
  }
  const part: OutboundPart = values.template
    ? {
        type: 'template',
        name: values.template,
        language: values.language,
        ...(category.data ? { category: category.data } : {}),
        ...(values.param ? { parameters: values.param } : {}),
      }
    : { type: 'text', text: text ?? '' };
  const idempotencyKey = values.key ?? `cli-${randomUUID()}`;
  const checked = SendMessageCommandSchema.safeParse({
    specversion: '1.0',
    id: randomUUID(),
    source: 'cli:npm-run-send',
    type: COMMAND_TYPES.sendMessage,
    time: new Date().toISOString(),
    data: { idempotencyKey, conversationId, parts: [part], sender: { kind: 'agent', id: values.agent } },
  });
  if (!checked.success) {
    console.error(refusedArgument(checked.error.issues));
    return 2;
  }
  const command = checked.data;
  const hubMessageId = outboundHubMessageId(conversationId, idempotencyKey);
  const message = (queueUrl: string) =>
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: toSqsSafeJson(command),
      MessageGroupId: conversationId,
      MessageDeduplicationId: outboxDeduplicationId(conversationId, idempotencyKey),
    });

  const target = resolveSendTarget(values.hub, process.env);
  if (target.kind === 'refused') {
    console.error(target.message);
    return 2;
  }
  if (target.kind === 'deployed') {
    const sqs = new SQSClient({ region: await cliAwsRegion([target.outboxQueueUrl]) });
    await sqs.send(message(target.outboxQueueUrl));
    sqs.destroy();
    console.log(`queued ${hubMessageId} (key ${idempotencyKey}); the outcome arrives on the helpdesk queue`);
    return 0;
  }

  const info = await fetchHubInfo(target.hubUrl);
  if (!info) {
    console.error(`not sent: no local hub at ${target.hubUrl} (start one with npm start)`);
    return 1;
  }
  const clientOptions = { region: info.region, credentials: info.credentials };
  const sqs = new SQSClient({ ...clientOptions, endpoint: info.endpoints.sqs });
  const dynamodb = new DynamoDBClient({ ...clientOptions, endpoint: info.endpoints.dynamodb });
  const sends = createSendStore({
    client: dynamodb,
    tableName: info.resources.tableName,
    now: () => new Date(),
  });
  // A key already taken by other content: refused before anything is queued, as the API refuses it.
  const before = await sends.read(hubMessageId);
  // A key whose send was erased with its customer (who wrote again since): the sender takes any
  // command under it for a repeat of that send, or refuses other content, and sends nothing.
  const takenBefore =
    before?.state === 'erased'
      ? `not sent: key ${idempotencyKey} already named a message in this conversation (${hubMessageId}), sent before its customer was erased, and the hub sends a key once; send this one with a new --key (or without --key)`
      : keyReusedBy(before, command.data);
  if (takenBefore) {
    sqs.destroy();
    dynamodb.destroy();
    console.error(takenBefore);
    return 1;
  }
  await sqs.send(message(info.resources.outboxQueueUrl));
  console.log(`queued ${hubMessageId} (key ${idempotencyKey})`);
  const until = Date.now() + WAIT_MS;
  let printed = '';
  let record: SendRecord | undefined;
  // The first command under the key may have been queued but not yet taken when this one was: its
  // record shows up only now, and this command was dropped as its duplicate.
  let taken: string | undefined;
  while (Date.now() < until) {
    record = await sends.get(hubMessageId);
    taken = keyReusedBy(record, command.data);
    if (taken) break;
    const line = record
      ? record.state === 'sent'
        ? `sent: ${record.providerIds.join(', ')}`
        : `sending: ${record.next} of ${record.messageCount} provider message(s) out${record.inFlight ? ', one awaiting the provider' : ''}`
      : 'waiting for the sender';
    // A failure is said once, when waiting ends (sendOutcome), with what the provider said; before,
    // twice (`failed: <reason>`, then `send failed: <reason>`), the provider's word in neither.
    if (record?.state !== 'failed' && line !== printed) console.log(line);
    printed = line;
    if (record?.published) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  sqs.destroy();
  dynamodb.destroy();
  const outcome = taken ? { code: 1, message: taken } : sendOutcome(record);
  if (outcome.code !== 0) console.error(outcome.message);
  return outcome.code;
};

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`send failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}`);
      process.exitCode = 1;
    },
  );
}
