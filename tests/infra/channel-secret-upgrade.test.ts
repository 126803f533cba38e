import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/channel-secret-upgrade.ts';
import { sectionsToCopy, upgradeChannelSecrets } from '#shared/aws/channel-secret-upgrade.ts';
import { SECRET_SECTIONS } from '#shared/channels/registry.ts';
import { LOCAL_DEV_SECRETS, SECRET_PLACEHOLDER_TEMPLATE } from '#shared/config/secrets.ts';
import { ALL_CHANNELS_CONTEXT, buildHub, logicalId, resourcesFor, roleIdOf } from './support.ts';

/*
 * The upgrade from the one channel secret to one secret per provider happens in the deployment:
 * a custom resource copies each legacy section into its own secret while that holds the
 * placeholder, before any function that reads the secrets is updated.
 */

const PLACEHOLDER = JSON.stringify({ ...SECRET_PLACEHOLDER_TEMPLATE, placeholder: 'Zx81kq0Vbn' });
const LEGACY = JSON.stringify(LOCAL_DEV_SECRETS);
const placeholders = () => Object.fromEntries(SECRET_SECTIONS.map((section) => [section, PLACEHOLDER]));

describe('what the upgrade copies', () => {
  it('copies every legacy section into a secret that still holds its placeholder, as the legacy JSON had it', () => {
    // Act
    const copies = sectionsToCopy(LEGACY, placeholders());
    // Assess
    expect(copies.map((copy) => copy.section)).toEqual(['meta', 'twilio', 'mailgun', 'email']);
    expect(JSON.parse(copies[0]?.secretString ?? '')).toEqual(LOCAL_DEV_SECRETS.meta);
  });

  it('never overwrites a section secret the operator has set', () => {
    // Act
    const copies = sectionsToCopy(LEGACY, {
      ...placeholders(),
      twilio: JSON.stringify({ authToken: 'rotated-since' }),
    });
    // Assess
    expect(copies.map((copy) => copy.section)).toEqual(['meta', 'mailgun', 'email']);
  });

  it('copies nothing from a fresh deployment (the legacy secret is a placeholder too) or from no JSON', () => {
    // Assess
    expect(sectionsToCopy(PLACEHOLDER, placeholders())).toEqual([]);
    expect(sectionsToCopy('not json {', placeholders())).toEqual([]);
    expect(sectionsToCopy('[1,2]', placeholders())).toEqual([]);
    expect(sectionsToCopy(undefined, placeholders())).toEqual([]);
  });

  it('copies only the sections the legacy secret holds that its functions could read', () => {
    // Prepare: a deployment without Mailgun and with a broken e-mail section.
    const legacy = JSON.stringify({
      meta: LOCAL_DEV_SECRETS.meta,
      twilio: LOCAL_DEV_SECRETS.twilio,
      email: { replyTagKey: 'short' },
    });
    // Act
    const copies = sectionsToCopy(legacy, placeholders());
    // Assess
    expect(copies.map((copy) => copy.section)).toEqual(['meta', 'twilio']);
  });

  it('puts each copied section into its own secret and reports which', async () => {
    // Prepare
    const held: Record<string, string> = {
      legacy: LEGACY,
      meta: PLACEHOLDER,
      twilio: PLACEHOLDER,
      mailgun: '{"signingKey":"set-by-operator"}',
      email: PLACEHOLDER,
    };
    const puts: string[] = [];
    // Act
    const copied = await upgradeChannelSecrets(
      {
        legacySecretId: 'legacy',
        sectionSecretIds: { meta: 'meta', twilio: 'twilio', mailgun: 'mailgun', email: 'email' },
      },
      {
        getSecretValue: async (id) => held[id],
        putSecretValue: async (id, value) => {
          puts.push(id);
          held[id] = value;
        },
      },
    );
    // Assess
    expect(copied).toEqual(['meta', 'twilio', 'email']);
    expect(puts).toEqual(['meta', 'twilio', 'email']);
    expect(JSON.parse(held.twilio ?? '')).toEqual(LOCAL_DEV_SECRETS.twilio);
    expect(held.mailgun).toBe('{"signingKey":"set-by-operator"}');
  });
});

describe('the upgrade function as CloudFormation calls it', () => {
  const secretsMock = mockClient(SecretsManagerClient);
  const answers: Array<{ contentType: string | undefined; body: Record<string, unknown> }> = [];
  let responseUrl = '';
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      answers.push({
        contentType: request.headers['content-type'],
        body: JSON.parse(body) as Record<string, unknown>,
      });
      response.writeHead(200).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=abc`;
  });
  afterAll(async () => {
    secretsMock.restore();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    secretsMock.reset();
    answers.length = 0;
  });

  const request = (requestType: 'Create' | 'Update' | 'Delete') => ({
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/switchboard/1',
    RequestId: 'req-1',
    LogicalResourceId: 'ChannelSecretUpgradeCopy',
    ResourceType: 'Custom::SwitchboardChannelSecretUpgrade',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:upgrade',
      legacySecretId: 'legacy-arn',
      sectionSecretIds: {
        meta: 'meta-arn',
        twilio: 'twilio-arn',
        mailgun: 'mailgun-arn',
        email: 'email-arn',
      },
    },
  });

  /** An upgrading deployment: the legacy secret filled, every section secret its placeholder. */
  const holdLegacyAndPlaceholders = (): void => {
    secretsMock.on(GetSecretValueCommand, { SecretId: 'legacy-arn' }).resolves({ SecretString: LEGACY });
    for (const section of SECRET_SECTIONS)
      secretsMock
        .on(GetSecretValueCommand, { SecretId: `${section}-arn` })
        .resolves({ SecretString: PLACEHOLDER });
  };

  it('copies on Create and answers SUCCESS under a physical id that never changes', async () => {
    // Prepare
    holdLegacyAndPlaceholders();
    secretsMock.on(PutSecretValueCommand).resolves({});
    // Act
    await handler(request('Create'));
    // Assess
    const puts = secretsMock.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretId);
    expect(puts).toEqual(['meta-arn', 'twilio-arn', 'mailgun-arn', 'email-arn']);
    expect(answers).toEqual([
      {
        contentType: '',
        body: expect.objectContaining({
          Status: 'SUCCESS',
          PhysicalResourceId: 'channel-secret-upgrade',
          RequestId: 'req-1',
          LogicalResourceId: 'ChannelSecretUpgradeCopy',
        }),
      },
    ]);
  });

  it('answers FAILED, naming the error only, when a secret cannot be written: the deployment rolls back', async () => {
    // Prepare
    holdLegacyAndPlaceholders();
    secretsMock.on(PutSecretValueCommand).rejects(
      Object.assign(new Error(`denied ${LOCAL_DEV_SECRETS.meta.appSecret}`), {
        name: 'AccessDeniedException',
      }),
    );
    // Act
    await handler(request('Update'));
    // Assess
    expect(answers[0]?.body.Status).toBe('FAILED');
    expect(answers[0]?.body.Reason).toBe("failed with AccessDeniedException; see the function's log");
  });

  it('does nothing on Delete and answers SUCCESS: the secrets stay', async () => {
    // Act
    await handler(request('Delete'));
    // Assess
    expect(secretsMock.calls()).toHaveLength(0);
    expect(answers[0]?.body.Status).toBe('SUCCESS');
  });
});

describe('secret grants follow the switched-on channels', () => {
  it('lets an SMS-only deployment read Twilio credentials and nothing else, in every function', () => {
    // Prepare
    const smsOnly = buildHub({ channels: 'sms' });
    // Act
    const granted = new Set(
      Object.values(smsOnly.template.findResources('AWS::Lambda::Function')).flatMap((fn) =>
        Object.keys((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).filter((name) =>
          name.endsWith('_SECRET_ARN'),
        ),
      ),
    );
    // Assess
    expect([...granted]).toEqual(['SWITCHBOARD_TWILIO_SECRET_ARN']);
    expect(
      resourcesFor(
        smsOnly.template,
        roleIdOf(smsOnly.stack.sender.function),
        'secretsmanager:GetSecretValue',
      ),
    ).toContain(JSON.stringify({ Ref: logicalId(smsOnly.stack.storage.channelSecrets.twilio) }));
    expect(
      resourcesFor(
        smsOnly.template,
        roleIdOf(smsOnly.stack.sender.function),
        'secretsmanager:GetSecretValue',
      ),
    ).not.toContain(JSON.stringify({ Ref: logicalId(smsOnly.stack.storage.channelSecrets.meta) }));
  });
});

describe('ChannelSecretUpgrade in the stack', () => {
  const { stack, template } = buildHub(ALL_CHANNELS_CONTEXT);
  const upgrade = logicalId(stack.channelSecretUpgrade.resource);

  it("gives up on a function that never answers in minutes, not CloudFormation's hour", () => {
    // Act
    const resource = template.findResources('Custom::SwitchboardChannelSecretUpgrade')[upgrade];
    // Assess
    expect(resource?.Properties.ServiceTimeout).toBe('300');
  });

  it('may read the legacy and the section secrets and write only the section secrets', () => {
    // Act
    const roleId = roleIdOf(stack.channelSecretUpgrade.function);
    const sections = SECRET_SECTIONS.map((section) =>
      JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets[section]) }),
    );
    // Assess
    expect(resourcesFor(template, roleId, 'secretsmanager:GetSecretValue').sort()).toEqual(
      [JSON.stringify({ Ref: logicalId(stack.storage.legacyChannelSecret) }), ...sections].sort(),
    );
    expect(resourcesFor(template, roleId, 'secretsmanager:PutSecretValue').sort()).toEqual(
      [...sections].sort(),
    );
  });

  it('runs before every function that reads a section secret is deployed; no function reads the legacy secret', () => {
    // Act
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    const readers = functions.filter(([, fn]) =>
      Object.keys((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).some((name) =>
        /^SWITCHBOARD_(META|TWILIO|MAILGUN|EMAIL)_SECRET_ARN$/.test(name),
      ),
    );
    // Assess: the four webhooks, the SES intake, the sender, the media fetcher and the sweeper (no helpdesk API here).
    expect(readers).toHaveLength(8);
    for (const [id, fn] of readers) expect(fn.DependsOn, id).toContain(upgrade);
    const legacy = JSON.stringify({ Ref: logicalId(stack.storage.legacyChannelSecret) });
    for (const [id, fn] of functions) {
      if (id === logicalId(stack.channelSecretUpgrade.function)) continue;
      expect(fn.Properties.Environment?.Variables?.SWITCHBOARD_SECRET_ARN, id).toBeUndefined();
      const roleRef = (fn.Properties.Role as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0];
      if (roleRef)
        expect(resourcesFor(template, roleRef, 'secretsmanager:GetSecretValue'), id).not.toContain(legacy);
    }
  });
});
