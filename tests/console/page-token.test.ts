import { describe, expect, it } from 'vitest';
import { createEventTap } from '#shared/local/console/event-tap.ts';
import { consoleHandler } from '#shared/local/console/server.ts';

/*
 * The console's page carries the hub's development token in a <meta> tag, HTML-escaped. The token
 * is whatever SWITCHBOARD_API_TOKEN says, so it may hold `$&`, `$'` or `` $` ``, which a replacement
 * string would read as substitution patterns (the matched text, what follows it, what precedes it).
 */

const PORT = 4321;

const renderedToken = async (apiToken: string): Promise<string | undefined> => {
  const handle = consoleHandler({
    apiToken,
    hubBaseUrl: () => `http://127.0.0.1:${PORT}`,
    port: () => PORT,
    mediaOrigin: 'http://127.0.0.1:1',
    readSend: async () => undefined,
    postCustomerMessage: async () => 200,
    tap: createEventTap(),
  });
  const page = await handle({
    method: 'GET',
    rawPath: '/',
    headers: { host: `127.0.0.1:${PORT}` },
    body: Buffer.alloc(0),
  });
  const html = page?.body.toString('utf8') ?? '';
  return /<meta name="switchboard-api-token" content="([^"]*)" \/>/.exec(html)?.[1];
};

describe('the console page’s token', () => {
  it.each([
    ['$&', 'dev$&token-abcdefghijk', 'dev$&amp;token-abcdefghijk'],
    ["$'", "dev$'token-abcdefghijk", 'dev$&#39;token-abcdefghijk'],
    ['$`', 'dev$`token-abcdefghijk', 'dev$`token-abcdefghijk'],
    ['$$', 'dev$$token-abcdefghijk', 'dev$$token-abcdefghijk'],
    ['quotes and angle brackets', 'dev"<x>-abcdefghijklm', 'dev&quot;&lt;x&gt;-abcdefghijklm'],
  ])('is written verbatim, HTML-escaped, when it holds %s', async (_name, token, escaped) => {
    // Act
    const meta = await renderedToken(token);
    // Assess
    expect(meta).toBe(escaped);
  });
});
