import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyReusedBy, resolveSendTarget, sendOutcome } from '#shared/cli/send.ts';
import type { SendMessageData } from '#shared/contract/commands.ts';
import { emailFrom } from '#shared/local/live-samples.ts';
import { commandHashOf, type SendRecord, SendRecordSchema } from '#shared/store/sends.ts';
import { noRegionEnv, runCli } from '#tests/support/cli-process.ts';
import { deadPort } from '#tests/support/dead-port.ts';
import { type HubSession, startHubSession } from '#tests/support/hub-session.ts';

const OUTBOX = 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-outbox.fifo';
/** A conversation id of the hub's form, for runs that never reach a hub. */
const CONVERSATION = 'conv_5e1d2c3b4a5968778695a4b3c2d1e0f9';

/** A send record as the sender leaves it, in `state`. */
const recordIn = (state: SendRecord['state'], extra: Partial<SendRecord> = {}): SendRecord =>
  SendRecordSchema.parse({
    hubMessageId: 'msg_out_1',
    conversationId: 'conv_1',
    commandId: 'cmd_1',
    commandHash: 'hash',
    state,
    acceptedAt: '2026-12-04T10:00:00.000Z',
    messageCount: 1,
    next: state === 'sent' ? 1 : 0,
    providerIds: state === 'sent' ? ['SM1'] : [],
    links: {},
    ...extra,
  });

describe('npm run send: where the command goes', () => {
  it('an explicit --hub beats SWITCHBOARD_OUTBOX_QUEUE_URL in the environment', () => {
    // Prepare
    const env = { SWITCHBOARD_OUTBOX_QUEUE_URL: OUTBOX };
    // Act
    const target = resolveSendTarget('http://127.0.0.1:3001', env);
    // Assess
    expect(target).toEqual({ kind: 'local', hubUrl: 'http://127.0.0.1:3001' });
  });

  it('without --hub the environment names the deployed outbox, else the default local hub', () => {
    // Prepare / Act
    const deployed = resolveSendTarget(undefined, { SWITCHBOARD_OUTBOX_QUEUE_URL: OUTBOX });
    const local = resolveSendTarget(undefined, {});
    // Assess
    expect(deployed).toEqual({ kind: 'deployed', outboxQueueUrl: OUTBOX });
    expect(local).toEqual({ kind: 'local', hubUrl: 'http://127.0.0.1:3000' });
  });

  it('a --hub npm took for itself (npm run send --hub=URL without the --) is refused, sending nowhere (found by a README walkthrough)', () => {
    // Prepare: npm keeps `--hub=URL` given before the `--`, sets npm_config_hub and passes nothing on
    const kept = { npm_config_hub: 'http://127.0.0.1:3150' };
    // Act
    const withOutbox = resolveSendTarget(undefined, { ...kept, SWITCHBOARD_OUTBOX_QUEUE_URL: OUTBOX });
    const alone = resolveSendTarget(undefined, kept);
    const passedOn = resolveSendTarget('http://127.0.0.1:3150', kept);
    // Assess: before, the first went to the deployed outbox and the second to the default hub
    expect(withOutbox.kind).toBe('refused');
    expect(withOutbox.kind === 'refused' ? withOutbox.message : '').toContain('npm run send -- --hub URL');
    expect(alone.kind).toBe('refused');
    expect(passedOn).toEqual({ kind: 'local', hubUrl: 'http://127.0.0.1:3150' });
  });
});

describe('npm run send: its exit code', () => {
  it('exits 0 for a send that went, 1 for a failed one, naming the reason', () => {
    // Prepare
    const failed = recordIn('failed', {
      failure: { reason: 'window_closed', retryable: false, decidedAt: '2026-12-04T10:00:01.000Z' },
      published: true,
    });
    // Act
    const sent = sendOutcome(recordIn('sent', { published: true }));
    const refused = sendOutcome(failed);
    // Assess
    expect(sent.code).toBe(0);
    expect(refused).toEqual({ code: 1, message: 'send failed: window_closed' });
  });

  it("says a failure once, with the hub's detail and the provider's code and title, never its message (found by a review)", () => {
    // Prepare: a refusal as the sender records it, the provider's words quoting the customer
    const failed = recordIn('failed', {
      failure: {
        reason: 'provider_error',
        retryable: false,
        detail: 'Graph API 400',
        errors: [
          { code: '131026', title: 'Message undeliverable', message: 'to +306912345678: "my address is…"' },
          { code: '100' },
        ],
        decidedAt: '2026-12-04T10:00:01.000Z',
      },
      published: true,
    });
    // Act
    const outcome = sendOutcome(failed);
    // Assess
    expect(outcome).toEqual({
      code: 1,
      message: 'send failed: provider_error (Graph API 400; provider: 131026 Message undeliverable; 100)',
    });
    expect(outcome.message).not.toMatch(/306912345678|my address/);
  });

  it('exits 1 with a timeout message when no outcome came: never picked up, or still sending', () => {
    // Prepare / Act
    const neverPicked = sendOutcome(undefined);
    const stillSending = sendOutcome(recordIn('sending'));
    // Assess
    expect(neverPicked.code).toBe(1);
    expect(neverPicked.message).toBe(
      'timed out after 30 s waiting for the outcome (the sender never picked it up)',
    );
    expect(stillSending.code).toBe(1);
    expect(stillSending.message).toMatch(/^timed out after 30 s .*still sending: 0 of 1 out/);
  });
});

/** `npm run send -- <args>` as a person runs it: its exit code, stdout and stderr. */
const runSend = async (args: readonly string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['node_modules/tsx/dist/cli.mjs', 'shared/cli/send.ts', ...args],
      { cwd: process.cwd(), timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
};

describe('npm run send: a key already used for other content', () => {
  /** The data of a text reply under `key`, as the CLI builds it. */
  const textUnder = (key: string, text: string): SendMessageData => ({
    idempotencyKey: key,
    conversationId: 'conv_1',
    parts: [{ type: 'text', text }],
    sender: { kind: 'agent', id: 'cli' },
  });

  it("is refused by the API's rule (the command hash on the send record), naming a new --key; the same content is not", () => {
    // Prepare: the key's send record, written for the first text
    const record = recordIn('sent', { commandHash: commandHashOf(textUnder('k1', 'First answer')) });
    // Act
    const other = keyReusedBy(record, textUnder('k1', 'A different answer'));
    const same = keyReusedBy(record, textUnder('k1', 'First answer'));
    const noRecordYet = keyReusedBy(undefined, textUnder('k1', 'A different answer'));
    // Assess
    expect(other).toMatch(
      /^not sent: key k1 already names another message in this conversation \(msg_out_1\)/,
    );
    expect(other).toMatch(/new --key/);
    expect(same).toBeUndefined();
    expect(noRecordYet).toBeUndefined();
  });

  describe('against a local hub', () => {
    let session: HubSession;
    beforeAll(async () => {
      session = await startHubSession();
    }, 120_000);
    afterAll(async () => {
      await session?.stop();
    });

    /** A conversation of an e-mail customer (no reply window to close). */
    const emailConversation = (name: string) =>
      session.customerWrites(emailFrom(`${name}@customer.example`, `${name}-${Date.now()}`));

    it('repeating a key with the same text shows the one send; with another text exits 1 and sends nothing (found by a review)', async () => {
      // Prepare: a reply sent under a key
      const conversationId = await emailConversation('send-cli-key');
      const hub = ['--hub', session.hub.urls.base];
      const first = await runSend([conversationId, 'First answer', '--key', 'k1', ...hub]);
      expect(first.code).toBe(0);
      const sentLine = first.stdout.split('\n').find((line) => line.startsWith('sent: '));
      expect(sentLine).toBeDefined();
      // Act
      const same = await runSend([conversationId, 'First answer', '--key', 'k1', ...hub]);
      const other = await runSend([conversationId, 'A different answer', '--key', 'k1', ...hub]);
      // Assess: the repeat reports the first send; the other text is refused before it is queued
      expect(same.code).toBe(0);
      expect(same.stdout.split('\n')).toContain(sentLine);
      expect(other.code).toBe(1);
      expect(other.stdout).not.toMatch(/^(sent|queued) /m);
      expect(other.stderr).toMatch(/^not sent: key k1 already names another message .*new --key/m);
    }, 150_000);

    it('two keys that share their first 90 characters are two commands: the second is sent too (found by a review)', async () => {
      // Prepare: keys of 101 characters differing at the end; until 2026-12-06 the CLI cut
      // `<conversationId>:<key>` to SQS's 128 characters, so the outbox dropped the second as a duplicate
      const conversationId = await emailConversation('send-cli-long-keys');
      const prefix = 'ticket-4711-'.padEnd(95, 'x');
      const hub = ['--hub', session.hub.urls.base];
      const first = await runSend([conversationId, 'First answer', '--key', `${prefix}reply1`, ...hub]);
      expect(first.code).toBe(0);
      // Act: within SQS's five minutes of deduplication
      const second = await runSend([conversationId, 'Second answer', '--key', `${prefix}reply2`, ...hub]);
      // Assess
      expect(second.stderr).not.toMatch(/never picked it up/);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/^sent: /m);
    }, 150_000);

    it('a refused send says its reason once, on stderr, not also as a `failed:` line (found by a review)', async () => {
      // Prepare: a template to an e-mail customer, which that channel cannot send
      const conversationId = await emailConversation('send-cli-refused');
      // Act
      const run = await runSend([
        conversationId,
        '--template',
        'order_update',
        '--hub',
        session.hub.urls.base,
      ]);
      // Assess
      expect(run.code).toBe(1);
      expect(run.stdout).not.toMatch(/^failed: /m);
      expect(run.stderr).toMatch(/^send failed: [a-z_]+ \(/m);
      const reason = run.stderr.match(/^send failed: ([a-z_]+)/m)?.[1] ?? 'none';
      expect((run.stdout + run.stderr).split(reason)).toHaveLength(2);
    }, 150_000);

    it("two texts under one key at once: one is sent, the other exits 1 once the first one's record shows", async () => {
      // Prepare
      const conversationId = await emailConversation('send-cli-race');
      const hub = ['--hub', session.hub.urls.base];
      // Act: both queued before the sender takes either (the outbox drops the second as a duplicate)
      const runs = await Promise.all([
        runSend([conversationId, 'Answer one', '--key', 'k2', ...hub]),
        runSend([conversationId, 'Answer two', '--key', 'k2', ...hub]),
      ]);
      // Assess
      expect(runs.map((run) => run.code).sort()).toEqual([0, 1]);
      const refused = runs.find((run) => run.code === 1);
      expect(refused?.stdout).not.toMatch(/^sent: /m);
      expect(refused?.stderr).toMatch(/^not sent: key k2 already names another message/m);
    }, 150_000);
  });
});

describe('npm run send: --help and unknown options', () => {
  it('prints its usage on --help (exit 0), and why and its usage on an unknown option (exit 2)', async () => {
    // Act
    const help = await runSend(['--help']);
    const unknown = await runSend([CONVERSATION, 'text', '--bogus']);
    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run send -- <conversationId> <text> \[options\]/);
    expect(help.stderr).toBe('');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown option '--bogus'.*\nusage: npm run send -- /s);
    expect(unknown.stderr).not.toMatch(/TypeError/);
  }, 60_000);
});

/** A stand-in for SQS's JSON protocol that keeps the message bodies sent to it. */
const fakeOutbox = () => {
  const bodies: string[] = [];
  let server: Server | undefined;
  return {
    bodies,
    start: async (): Promise<string> => {
      server = createServer((request, response) => {
        let raw = '';
        request.on('data', (chunk) => {
          raw += chunk;
        });
        request.on('end', () => {
          const body = (JSON.parse(raw || '{}') as { MessageBody?: string }).MessageBody ?? '';
          bodies.push(body);
          response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          response.end(
            JSON.stringify({
              MessageId: 'm1',
              MD5OfMessageBody: createHash('md5').update(body).digest('hex'),
            }),
          );
        });
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/123456789012/acme-outbox.fifo`;
    },
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
};

describe('npm run send -- --template: the category (found by a review)', () => {
  const outbox = fakeOutbox();
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = noRegionEnv({
      SWITCHBOARD_OUTBOX_QUEUE_URL: await outbox.start(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
  });
  afterAll(() => outbox.stop());

  /** The template part of the one command the run queued. */
  const queuedPart = (from: number) => {
    expect(outbox.bodies).toHaveLength(from + 1);
    return JSON.parse(outbox.bodies[from] ?? '{}').data.parts[0];
  };

  it('names none unless --category is given (a marketing template must not pass a marketing opt-out), and the one given', async () => {
    // Prepare
    const template = [CONVERSATION, '--template', 'winter_offer', '--param', 'Ada'];
    // Act
    const plain = await runCli('shared/cli/send.ts', template, env);
    const withoutCategory = queuedPart(0);
    const marketing = await runCli('shared/cli/send.ts', [...template, '--category', 'marketing'], env);
    const withCategory = queuedPart(1);
    // Assess
    expect(plain.code).toBe(0);
    expect(withoutCategory.type).toBe('template');
    expect(withoutCategory).not.toHaveProperty('category');
    expect(marketing.code).toBe(0);
    expect(withCategory.category).toBe('marketing');
  }, 60_000);

  it('refuses a category the contract does not know, or one without --template, with the usage (exit 2), queueing nothing', async () => {
    // Prepare
    const before = outbox.bodies.length;
    // Act
    const unknown = await runCli(
      'shared/cli/send.ts',
      [CONVERSATION, '--template', 'x', '--category', 'promo'],
      env,
    );
    const alone = await runCli('shared/cli/send.ts', [CONVERSATION, 'text', '--category', 'utility'], env);
    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^--category must be one of marketing, utility, authentication\nusage: /);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^--category goes with --template\nusage: /);
    expect(outbox.bodies).toHaveLength(before);
  }, 60_000);

  it('--help names --category and its values', async () => {
    // Act
    const help = await runCli('shared/cli/send.ts', ['--help']);
    // Assess
    expect(help.stdout).toMatch(
      /--category CATEGORY +the template's category .*utility, marketing or\n +authentication/,
    );
  }, 60_000);
});

describe('npm run send: arguments the command contract refuses (found by a review)', () => {
  it('names the argument and why in one line, exit 2 (not a ZodError and exit 1, the code of a failed send)', async () => {
    // Prepare: a hub that does not answer: nothing is asked of one
    const hub = ['--hub', `http://127.0.0.1:${await deadPort()}`];
    // Act
    const blank = await runCli('shared/cli/send.ts', [CONVERSATION, '   ', ...hub]);
    const empty = await runCli('shared/cli/send.ts', [CONVERSATION, '', ...hub]);
    const long = await runCli('shared/cli/send.ts', [CONVERSATION, 'x'.repeat(70_000), ...hub]);
    const emptyKey = await runCli('shared/cli/send.ts', [CONVERSATION, 'text', '--key', '', ...hub]);
    // Assess
    for (const run of [blank, empty, long, emptyKey]) {
      expect(run.code).toBe(2);
      expect(run.stderr).not.toMatch(/ZodError|no local hub/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stdout).toBe('');
    }
    expect(blank.stderr).toMatch(/^not sent: <text> refused: must contain a character that shows/);
    // An empty text is refused as a blank one, not answered with the bare usage (found by a README walkthrough)
    expect(empty.stderr).toMatch(/^not sent: <text> refused: /);
    expect(long.stderr).toMatch(/^not sent: <text> refused: .*65536/);
    expect(emptyKey.stderr).toMatch(/^not sent: --key refused: /);
  }, 60_000);
});

describe('npm run send: a conversation id not of its form, and no hub', () => {
  it('refuses a conversation id not of the form conv_ and 32 hex digits (exit 2), queueing nothing', async () => {
    // Prepare: a hub that does not answer: nothing is asked of one
    const hub = ['--hub', `http://127.0.0.1:${await deadPort()}`];
    // Act
    const run = await runCli('shared/cli/send.ts', ['not-a-conversation', 'hi', ...hub]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^not sent: <conversationId> refused: not a conversation id/);
    expect(run.stderr).not.toMatch(/no local hub/);
    expect(run.stdout).toBe('');
  }, 60_000);

  it('says no local hub answers in one line, exit 1, without an error name', async () => {
    // Prepare
    const target = `http://127.0.0.1:${await deadPort()}`;
    // Act
    const run = await runCli('shared/cli/send.ts', [CONVERSATION, 'hi', '--hub', target]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`not sent: no local hub at ${target} (start one with npm start)`);
  }, 60_000);
});

describe('npm run send against AWS: the region (found by a review)', () => {
  it("takes the outbox URL's region when none is configured, and says to set AWS_REGION when the URL names none", async () => {
    // Act
    const named = await runCli(
      'shared/cli/send.ts',
      [CONVERSATION, 'text'],
      noRegionEnv({ SWITCHBOARD_OUTBOX_QUEUE_URL: OUTBOX.replace('us-east-1', 'eu-west-1') }),
    );
    const unnamed = await runCli(
      'shared/cli/send.ts',
      [CONVERSATION, 'text'],
      noRegionEnv({ SWITCHBOARD_OUTBOX_QUEUE_URL: `http://127.0.0.1:${await deadPort()}/1/outbox.fifo` }),
    );
    // Assess: the first stops at the credentials this machine lacks, not at the region
    expect(named.stderr).not.toMatch(/Region is missing|MissingRegionError/);
    expect(named.stderr).toMatch(/^send failed: CredentialsProviderError/m);
    expect(unnamed.stderr).toMatch(/^send failed: MissingRegionError: no AWS region: set AWS_REGION /m);
  }, 60_000);
});
