import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogFields } from '#shared/observability/logger.ts';
import { redactString } from '#shared/observability/redact.ts';

const capture = (level: 'debug' | 'info' | 'warn' | 'error' = 'debug') => {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(line),
    now: () => new Date('2026-11-22T12:00:00.000Z'),
    requestId: () => 'req-1',
  });
  return { logger, lines };
};

describe('logger', () => {
  it('writes one JSON line per entry with level, time, request id and fields', () => {
    // Prepare
    const { logger, lines } = capture();
    // Act
    logger.child({ channel: 'sms' }).info('webhook accepted', { eventCount: 2, statusCode: 200 });
    // Assess
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'info',
      time: '2026-11-22T12:00:00.000Z',
      message: 'webhook accepted',
      requestId: 'req-1',
      channel: 'sms',
      eventCount: 2,
      statusCode: 200,
    });
  });

  it('keeps bound fields in place and lets an entry field override one where it stands', () => {
    // Prepare
    const { logger, lines } = capture();
    const routeLogger = logger.child({ channel: 'sms' }).child({ route: '/webhooks/sms/twilio' });
    // Act
    routeLogger.info('first', { route: '/other', eventCount: 1 });
    routeLogger.info('second +1 415 555 0100', { eventCounts: { 'switchboard.message.received': 2 } });
    // Assess
    expect(lines).toEqual([
      '{"level":"info","time":"2026-11-22T12:00:00.000Z","message":"first","requestId":"req-1","channel":"sms","route":"/other","eventCount":1}',
      '{"level":"info","time":"2026-11-22T12:00:00.000Z","message":"second [phone]","requestId":"req-1","channel":"sms","route":"/webhooks/sms/twilio","eventCounts":{"switchboard.message.received":2}}',
    ]);
  });

  it('drops entries below its level', () => {
    // Prepare
    const { logger, lines } = capture('warn');
    // Act
    logger.info('ignored');
    logger.debug('ignored');
    logger.error('kept');
    // Assess
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['kept']);
  });

  it('never prints a phone number or e-mail address slipped into a field', () => {
    // Prepare
    const { logger, lines } = capture();
    const fields: LogFields = {
      reason: 'unknown sender +1 (415) 555-0100 <jane.doe@example.com>',
      providerMessageId: 'whatsapp:+14155550100',
      eventCounts: { 'bob@example.org': 1 },
      eventIds: ['4930 1234 5678'],
    };
    // Act
    logger.warn('rejected for jane.doe@example.com', fields);
    // Assess
    const output = lines.join('\n');
    for (const secret of ['jane.doe@example.com', 'bob@example.org', '555-0100', '14155550100', '5678']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[email]');
    expect(output).toContain('[phone]');
  });

  it('keeps ids whose hex happens to contain digit runs', () => {
    // Prepare
    const { logger, lines } = capture();
    const eventId = 'evt_3fa1234567890bc41234567890abcdef';
    // Act
    logger.info('queued', {
      eventId,
      conversationId: 'conv_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      statusCode: 200,
    });
    // Assess
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ eventId, statusCode: 200 });
  });

  it('redacts any generated phone number or address inside arbitrary text', () => {
    const phone = fc
      .tuple(
        fc.constantFrom('+', ''),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 15 }),
      )
      .map(([plus, digits]) => `${plus}${digits.join('')}`);
    const email = fc.emailAddress();
    fc.assert(
      fc.property(fc.oneof(phone, email), fc.constantFrom(' ', ': ', '(', '<', ''), (secret, before) => {
        // Act
        const redacted = redactString(`contact ${before}${secret} now`);
        // Assess
        expect(redacted).not.toContain(secret);
      }),
    );
  });
});
