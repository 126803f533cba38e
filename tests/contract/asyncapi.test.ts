import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { COMMAND_TYPES } from '#shared/contract/commands.ts';
import { ASYNCAPI_PATH } from '#shared/contract/generate.ts';
import { EVENT_TYPES } from '#shared/contract/index.ts';

// Severity 0 is an error in the parser's diagnostics (spectral's scale).
const ERROR = 0;

describe('AsyncAPI document of the helpdesk and outbox queues', () => {
  it('is valid AsyncAPI 3 and describes every event and command type, and the claim check', async () => {
    // Prepare
    const parser = new Parser();
    const source = readFileSync(ASYNCAPI_PATH, 'utf8');
    // Act
    const { document, diagnostics } = await parser.parse(source);
    // Assess
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === ERROR);
    expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const messageNames =
      document
        ?.messages()
        .all()
        .map((message) => message.name()) ?? [];
    expect([...messageNames].sort()).toEqual(
      [...Object.values(EVENT_TYPES), ...Object.values(COMMAND_TYPES), 'ClaimCheck'].sort(),
    );
    expect(document?.channels().get('helpdesk')?.address()).toBe('switchboard-helpdesk.fifo');
    expect(document?.channels().get('outbox')?.address()).toBe('switchboard-outbox.fifo');
    expect(document?.operations().get('sendCommands')?.action()).toBe('send');
  });
});
