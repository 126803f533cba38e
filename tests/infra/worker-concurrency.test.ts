import { describe, expect, it } from 'vitest';
import { readConfig } from '#infra/config.ts';
import { buildHub, logicalId } from './support.ts';

/*
 * The sender's and the media fetcher's maximum concurrency, and the rate of a WhatsApp number, are a
 * deployment's to raise from CDK context (`senderMaxConcurrency`, `mediaFetcherMaxConcurrency`,
 * `whatsappNumberRate`): the scale model names them as what to raise at 1,000 messages/s, so a
 * deployment must not need to edit a construct for it.
 */

// Prepare (once per file): a hub deployed with them raised, as the scale model names them, and one
// whose WhatsApp numbers Meta upgraded
const raised = buildHub({
  senderMaxConcurrency: '25',
  mediaFetcherMaxConcurrency: 46,
  whatsappNumberRate: '1000',
});
const plain = buildHub();

describe('worker concurrency from CDK context', () => {
  it('gives the sender and the media fetcher the maximum concurrency the context names, and the sender its share', () => {
    // Act
    const { stack, template } = raised;
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    const concurrencyOf = (functionId: string) =>
      mappings.find((mapping) => mapping.Properties.FunctionName?.Ref === functionId)?.Properties
        .ScalingConfig?.MaximumConcurrency;
    const sender = template.findResources('AWS::Lambda::Function')[logicalId(stack.sender.function)];
    // Assess
    expect(concurrencyOf(logicalId(stack.sender.function))).toBe(25);
    expect(concurrencyOf(logicalId(stack.mediaFetcher.function))).toBe(46);
    // Each sender environment paces its share of an endpoint's rate: it must know how many there are.
    expect(sender?.Properties.Environment.Variables.SWITCHBOARD_SENDER_CONCURRENCY).toBe('25');
  });

  it("gives the sender the WhatsApp numbers' rate the context names, Meta's 80 by default", () => {
    // Act
    const rateOf = ({ stack, template }: typeof raised) =>
      template.findResources('AWS::Lambda::Function')[logicalId(stack.sender.function)]?.Properties
        .Environment.Variables.SWITCHBOARD_WHATSAPP_NUMBER_RATE;
    // Assess
    expect(rateOf(raised)).toBe('1000');
    expect(rateOf(plain)).toBe('80');
  });

  it("leaves reply_to off the sender's Messenger replies only when the context turns quoting off", () => {
    // Prepare
    const unquoted = buildHub({ messengerReplyQuotes: 'false' });
    // Act
    const quotesOf = ({ stack, template }: typeof raised) =>
      template.findResources('AWS::Lambda::Function')[logicalId(stack.sender.function)]?.Properties
        .Environment.Variables.SWITCHBOARD_MESSENGER_REPLY_QUOTES;
    // Assess: unset is the sender's default, quoting
    expect(quotesOf(unquoted)).toBe('false');
    expect(quotesOf(plain)).toBeUndefined();
  });

  it.each([
    ['senderMaxConcurrency', '1'],
    ['senderMaxConcurrency', 1_001],
    ['mediaFetcherMaxConcurrency', '2.5'],
    ['mediaFetcherMaxConcurrency', 'many'],
    ['whatsappNumberRate', '0'],
    ['whatsappNumberRate', 1_001],
  ])(
    'refuses %s %o, outside what an SQS event source or a WhatsApp number takes, naming the key',
    (key, value) => {
      // Act
      const read = () => readConfig((name) => (name === key ? value : undefined));
      // Assess
      expect(read).toThrow(new RegExp(`${key}:`));
    },
  );
});
