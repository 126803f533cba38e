import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { twilioSignatureMatches } from '#shared/channels/sms/inbound/signature.ts';
import { main, printResult, replayExitCode } from '#shared/cli/replay.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import type { HubInfo } from '#shared/local/hub-info.ts';
import type { ReplayResult } from '#shared/local/replay-kit.ts';
import { DEFAULT_EVENTS_DIR } from '#shared/local/samples.ts';
import { deadPort } from '#tests/support/dead-port.ts';

describe('npm run replay -- --tamper: its exit code', () => {
  it('is 0 only when every tampered request was refused with 401 or 403', () => {
    // Prepare
    const refused = { sent: 4, accepted: 0, rejected: 4, refusedAsUnauthorized: 4 };
    const serverErrors = { sent: 4, accepted: 0, rejected: 4, refusedAsUnauthorized: 3 };
    const oneAccepted = { sent: 4, accepted: 1, rejected: 3, refusedAsUnauthorized: 3 };
    // Act / Assess
    expect(replayExitCode(refused, true)).toBe(0);
    expect(replayExitCode(serverErrors, true)).toBe(1);
    expect(replayExitCode(oneAccepted, true)).toBe(1);
  });

  it('without --tamper, is 0 only when every request was accepted', () => {
    // Prepare / Act / Assess
    expect(replayExitCode({ sent: 2, accepted: 2, rejected: 0, refusedAsUnauthorized: 0 }, false)).toBe(0);
    expect(replayExitCode({ sent: 2, accepted: 1, rejected: 1, refusedAsUnauthorized: 1 }, false)).toBe(1);
  });

  it('exits 1 when no request could connect, and says nothing showed the signature check', async () => {
    // Prepare: a server that answers (so it is no hub left unstarted) but drops every post
    const server = createServer((request, response) => {
      if (request.method === 'HEAD') response.end();
      else request.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const output = memoryOutput();
    // Act
    const code = await main(
      [join(DEFAULT_EVENTS_DIR, 'sms/help.json'), '--target', target, '--tamper'],
      output,
    ).finally(() => new Promise((resolve) => server.close(resolve)));
    // Assess
    expect(code).toBe(1);
    expect(output.lines).toContain('sent 1, accepted 0, rejected 1');
    expect(output.lines.some((line) => /^\s+1 × network error: /.test(line))).toBe(true);
    expect(
      output.lines.some((line) => line.startsWith('warning: 1 tampered request(s) got neither 401 nor 403')),
    ).toBe(true);
  });
});

describe('npm run replay: its options', () => {
  it('takes --hub as --target, the name send, consume and erase use', async () => {
    // Prepare
    const target = `http://127.0.0.1:${await deadPort()}`;
    const output = memoryOutput();
    // Act
    const code = await main([join(DEFAULT_EVENTS_DIR, 'sms/help.json'), '--hub', target], output);
    // Assess
    expect(code).toBe(1);
    expect(output.lines[0]).toBe(`no local hub at ${target} (start one with npm start)`);
  });

  it('with no hub on this machine, says so and how to start one before sending anything, as send, consume and erase do (found by a review)', async () => {
    // Prepare
    const target = `http://127.0.0.1:${await deadPort()}`;
    const plain = memoryOutput();
    const tampered = memoryOutput();
    // Act
    const plainCode = await main([join(DEFAULT_EVENTS_DIR, 'whatsapp/text.json'), '--target', target], plain);
    const tamperedCode = await main(
      [join(DEFAULT_EVENTS_DIR, 'sms/help.json'), '--target', target, '--tamper'],
      tampered,
    );
    // Assess
    expect(plainCode).toBe(1);
    expect(plain.lines).toEqual([`no local hub at ${target} (start one with npm start)`]);
    expect(tamperedCode).toBe(1);
    expect(tampered.lines).toEqual([`no local hub at ${target} (start one with npm start)`]);
  });

  it('answers an unknown option with the usage and exit 2, not a raw parse error', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const code = await main(['events/sms', '--hubb', 'http://127.0.0.1:3000'], output);
    // Assess
    expect(code).toBe(2);
    expect(output.lines[0]).toMatch(/Unknown option '--hubb'/);
    expect(output.lines[1]).toMatch(/^Usage: npm run replay -- /);
  });

  it('refuses --hub and --target naming different URLs', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const code = await main(['--hub', 'http://127.0.0.1:4100', '--target', 'http://127.0.0.1:4101'], output);
    // Assess
    expect(code).toBe(2);
    expect(output.lines).toEqual(['--hub and --target name the same thing: pass one of them']);
  });
});

/** What a local hub says of itself (only its presence matters to the lines below). */
const LOCAL_HUB: HubInfo = {
  service: 'switchboard-local-hub',
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  endpoints: { dynamodb: 'http://127.0.0.1:3002', sqs: 'http://127.0.0.1:3001', s3: 'http://127.0.0.1:3001' },
  resources: {
    tableName: 'switchboard',
    ingestQueueUrl: 'http://sqs.us-east-1.localhost:3001/000000000000/switchboard-ingest.fifo',
    ingestDlqUrl: 'http://sqs.us-east-1.localhost:3001/000000000000/switchboard-ingest-dlq.fifo',
    helpdeskQueueUrl: 'http://sqs.us-east-1.localhost:3001/000000000000/switchboard-helpdesk.fifo',
    helpdeskDlqUrl: 'http://sqs.us-east-1.localhost:3001/000000000000/switchboard-helpdesk-dlq.fifo',
    outboxQueueUrl: 'http://sqs.us-east-1.localhost:3001/000000000000/switchboard-outbox.fifo',
    outboxDlqUrl: 'http://sqs.us-east-1.localhost:3001/000000000000/switchboard-outbox-dlq.fifo',
    bucketName: 'switchboard-payloads',
  },
};

describe('npm run replay: the helpdesk queue lines', () => {
  /** A tampered run against a local hub: every request refused, so nothing reached the helpdesk queue. */
  const refusedRun: ReplayResult = {
    sent: 2,
    accepted: 0,
    rejected: 2,
    rejections: new Map([['403 invalid signature', 2]]),
    refusedAsUnauthorized: 2,
    hub: LOCAL_HUB,
    helpdeskEvents: [],
    invalidHelpdeskMessages: 0,
    recorderSettled: true,
  };

  it('with no new event, says so in one line: no colon announcing a table that never comes', () => {
    // Prepare
    const output = memoryOutput();
    // Act
    printResult(refusedRun, output, true);
    // Assess
    expect(output.lines.at(-1)).toBe('no new events on the helpdesk queue');
    expect(output.lines.some((line) => line.endsWith(':'))).toBe(false);
  });

  it('with new events, announces them and lists them', () => {
    // Prepare
    const output = memoryOutput();
    const run: ReplayResult = {
      ...refusedRun,
      accepted: 1,
      rejected: 0,
      rejections: new Map(),
      refusedAsUnauthorized: 0,
      sent: 1,
      helpdeskEvents: [
        {
          type: 'switchboard.message.received',
          id: 'evt_1',
          subject: 'conv_1',
          time: '2026-12-05T10:00:00.000Z',
          detail: 'text',
        },
      ],
    };
    // Act
    printResult(run, output, false);
    // Assess
    expect(output.lines).toContain(
      '1 new event(s) on the helpdesk queue (peeked, still there for consumers):',
    );
    expect(output.lines.at(-1)).toContain('message.received');
  });
});

/** Runs `act` with these SWITCHBOARD_* variables alone set (a developer's shell), then restores the environment. */
const withHubVariables = async <T>(variables: Record<string, string>, act: () => Promise<T>): Promise<T> => {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith('SWITCHBOARD_')) delete process.env[name];
  Object.assign(process.env, variables);
  try {
    return await act();
  } finally {
    process.env = saved;
  }
};

/** A server that is no local hub (its info path unknown), keeping what it is posted. */
const deployedStandIn = async () => {
  const posts: { url: string; signature: string; form: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST') return void response.writeHead(404).end();
      posts.push({
        url: request.url ?? '',
        signature: String(request.headers['x-twilio-signature'] ?? ''),
        form: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    posts,
    target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

describe('npm run replay against a deployed hub', () => {
  it('refuses to send, naming the variables, while the samples would be signed with the development defaults', async () => {
    // Prepare
    const deployed = await deployedStandIn();
    const output = memoryOutput();
    try {
      // Act
      const code = await withHubVariables({}, () =>
        main(
          [
            join(DEFAULT_EVENTS_DIR, 'sms/help.json'),
            join(DEFAULT_EVENTS_DIR, 'messenger'),
            '--hub',
            deployed.target,
          ],
          output,
        ),
      );
      // Assess
      expect(code).toBe(2);
      expect(deployed.posts).toEqual([]);
      expect(output.lines.filter((line) => line.trim().startsWith('export '))).toEqual([
        "  export SWITCHBOARD_META_APP_SECRET=<the Meta app secret (appSecret of the deployment's meta channel secret)>",
        "  export SWITCHBOARD_TWILIO_AUTH_TOKEN=<the Twilio auth token (authToken of the deployment's twilio channel secret)>",
      ]);
    } finally {
      await deployed.close();
    }
  });

  it('signs a Twilio sample over the URL it targets (a deployed hub has no local info to name another)', async () => {
    // Prepare: the deployment's own token exported, as the README asks
    const { posts, target, close } = await deployedStandIn();
    const deployedToken = 'the-deployments-own-twilio-auth-token';
    const output = memoryOutput();
    try {
      // Act
      const code = await withHubVariables({ SWITCHBOARD_TWILIO_AUTH_TOKEN: deployedToken }, () =>
        main([join(DEFAULT_EVENTS_DIR, 'sms/help.json'), '--hub', target], output),
      );
      // Assess
      expect(code).toBe(0);
      expect(output.lines).toContain('(target is not a local hub: helpdesk queue not inspected)');
      expect(posts.map((post) => post.url)).toEqual(['/webhooks/sms/twilio']);
      const [post] = posts;
      expect(
        twilioSignatureMatches(
          [deployedToken],
          `${target}/webhooks/sms/twilio`,
          [...new URLSearchParams(post?.form)],
          post?.signature ?? '',
        ),
      ).toBe(true);
    } finally {
      await close();
    }
  });
});
