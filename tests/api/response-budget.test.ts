import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiGatewayResponse } from '#shared/api/apigw.ts';
import type { ApiRequest, ApiResponse } from '#shared/api/http.ts';
import { PAGE_BUDGET_BYTES, pageBudget } from '#shared/api/page-budget.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { buildEvent, eventIdFor } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { type ExportPosition, exportPerson } from '#shared/store/erasure.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute, reactionEvent } from '#tests/recorder/factories.ts';
import { createResponseValidator } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Answers that could pass Lambda's 6 MB response limit (review finding): a busy person's export and
 * a page of messages end at the byte budget (shared/api/page-budget.ts) with a cursor, every Lambda
 * result stays under the limit, and following the cursors reaches every message and every item
 * exactly once. A page of messages alone is bounded by DynamoDB's 1 MB per Query (about 2 MB once
 * escaped twice), but their live states are read beside it: an edit keeps up to 16 KB of parts and
 * a reaction up to 1,024 characters, so 100 edited messages pass the budget.
 */

const matchesContract = createResponseValidator();
const NOW = new Date('2026-11-22T12:00:00.000Z');
/** Lambda's limit on a synchronous result (6 MB), as the JSON of the whole result. */
const LAMBDA_RESULT_LIMIT = 6 * 1024 * 1024;
const MESSAGES = 100;
/** Near the stored record's 64 KB: 28,000 quotes are 56 KB of JSON, 112 KB once escaped again in Lambda's result. */
const LONG_TEXT = '"'.repeat(28_000);
/** Within what an edit's register keeps (16 KB of parts as JSON): 32 KB in Lambda's result. */
const EDITED_TEXT = '"'.repeat(7_900);

describe('answers within the byte budget', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let api: HelpdeskApi;
  let recorder: RecorderService;
  const customer = 'budget-customer';
  const editor = 'budget-editor';
  const personOf = (who: string) => {
    const { channel, contact, conversationId } = conversationFor(who);
    return contactIdFor(channel, contact, conversationId);
  };
  const contactId = personOf(customer);

  beforeAll(async () => {
    emulators = await startEmulators();
    table = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = quietRecorder(table, () => NOW);
    api = quietHelpdeskApi(emulators, table, () => NOW);
    for (let n = 0; n < MESSAGES; n++)
      await recorder.recordEvent(messageEvent(customer, `long-${n}`, minute(n / 10), 'inbound', LONG_TEXT));
    // Another customer: 100 short messages, each edited long and reacted to.
    const edited = conversationFor(editor);
    for (let n = 0; n < MESSAGES; n++) {
      const at = minute(n / 10);
      const later = minute(n / 10 + 20);
      await recorder.recordEvent(messageEvent(editor, `edited-${n}`, at, 'inbound', '"'.repeat(2_000)));
      await recorder.recordEvent(
        buildEvent('switchboard.message.edited', eventIdFor('whatsapp', 'edit', `edited-${n}`, later), {
          ...edited,
          provider: 'meta',
          providerTimestamp: later,
          receivedAt: later,
          targetProviderMessageId: `edited-${n}`,
          parts: [{ type: 'text', text: EDITED_TEXT }],
          actor: 'customer',
        }),
      );
      await recorder.recordEvent(reactionEvent(editor, `edited-${n}`, '"'.repeat(1_000), later));
    }
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** A routed GET, checked against the contract and measured as the Lambda result it would be. */
  const get = async (path: string, query: Record<string, string>) => {
    const response = (await api({
      method: 'GET',
      path,
      query,
      headers: {},
      principal: 'arn:aws:iam::123456789012:user/agent',
    } satisfies ApiRequest)) as ApiResponse;
    const resultBytes = Buffer.byteLength(JSON.stringify(toApiGatewayResponse(response)), 'utf8');
    return { response, body: response.body as Record<string, unknown>, resultBytes };
  };

  it("pages a conversation's edited messages at the budget both ways, each result under 6 MB, every message exactly once", async () => {
    // Prepare
    const path = `/v1/conversations/${conversationFor(editor).conversationId}/messages`;
    const follow = async (start: Record<string, string>, cursorField: string) => {
      const pages = [];
      let query = start;
      for (let guard = 0; guard < 50; guard++) {
        const page = await get(path, query);
        pages.push(page);
        const cursor = page.body[cursorField];
        if (typeof cursor !== 'string') break;
        query = { limit: '100', cursor };
      }
      return pages;
    };
    const idsOf = (pages: { body: Record<string, unknown> }[]) =>
      pages.flatMap((page) =>
        (page.body.items as { hubMessageId: string }[]).map((item) => item.hubMessageId),
      );
    // Act
    const forward = await follow({ limit: '100' }, 'nextCursor');
    const backward = await follow({ limit: '100', from: 'newest' }, 'previousCursor');
    // Assess
    const backwardIds = [...backward].reverse().flatMap((page) => idsOf([page]));
    for (const { response, resultBytes } of [...forward, ...backward]) {
      expect(response.status).toBe(200);
      expect(
        matchesContract('GET', '/v1/conversations/{conversationId}/messages', 200, response.body),
      ).toBeUndefined();
      expect(resultBytes).toBeLessThan(PAGE_BUDGET_BYTES + 64 * 1024);
    }
    expect(idsOf(forward.slice(0, 1)).length).toBeLessThan(MESSAGES);
    expect(forward.length).toBeGreaterThan(1);
    expect(idsOf(forward)).toHaveLength(MESSAGES);
    expect(new Set(idsOf(forward)).size).toBe(MESSAGES);
    expect(backwardIds).toEqual(idsOf(forward));
  });

  it("pages a busy person's export at the budget, each result under 6 MB, every item exactly once", async () => {
    // Prepare
    const path = `/v1/contacts/${contactId}/export`;
    const whole = await exportPerson({ table, pseudonymKey: localPseudonymKey }, contactId);
    const keyOf = (entry: { item: unknown }) => {
      const { pk, sk } = entry.item as { pk: string; sk: string };
      return `${pk} ${sk}`;
    };
    // Act
    const pages = [];
    let query: Record<string, string> = {};
    for (let guard = 0; guard < 50; guard++) {
      const page = await get(path, query);
      pages.push(page);
      const cursor = page.body.nextCursor;
      if (typeof cursor !== 'string') break;
      query = { cursor };
    }
    const elsewhere = await get(`/v1/contacts/${personOf('someone-else')}/export`, {
      cursor: String(pages[0]?.body.nextCursor),
    });
    // Assess
    for (const { response, resultBytes } of pages) {
      expect(response.status).toBe(200);
      expect(matchesContract('GET', '/v1/contacts/{contactId}/export', 200, response.body)).toBeUndefined();
      expect(resultBytes).toBeLessThan(LAMBDA_RESULT_LIMIT);
    }
    const keys = pages.flatMap((page) => (page.body.items as { item: unknown }[]).map(keyOf));
    expect(pages.length).toBeGreaterThan(2);
    expect(keys.length).toBeGreaterThan(MESSAGES);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual((whole?.items ?? []).map(keyOf).sort());
    // A cursor is the person's: another person's export refuses it, reading nothing of theirs
    expect(elsewhere.response.status).toBe(400);
    expect(elsewhere.body.detail).toBe('invalid cursor');
  });

  it('pages an export through its items and then its objects, each once, however small the budget', async () => {
    // Prepare: another person with a few messages, whose conversation owns 40 objects by key (as S3 lists them)
    const small = 'budget-small';
    for (let n = 0; n < 5; n++) await recorder.recordEvent(messageEvent(small, `short-${n}`, minute(n)));
    const person = personOf(small);
    const prefix = `bodies/events/${conversationFor(small).conversationId}/`;
    const owned = Array.from({ length: 40 }, (_, n) => `${prefix}${String(n).padStart(64, '0')}.json`);
    const listObjectsUnder = async (under: string) => owned.filter((key) => key.startsWith(under));
    const whole = await exportPerson({ table, pseudonymKey: localPseudonymKey, listObjectsUnder }, person);
    // Act: a budget of about one item, or a few object keys, a page
    const items: string[] = [];
    const objects: string[] = [];
    let after: ExportPosition | undefined;
    let pages = 0;
    do {
      const page = await exportPerson({ table, pseudonymKey: localPseudonymKey, listObjectsUnder }, person, {
        ...(after ? { after } : {}),
        fits: pageBudget(1_000).fits,
      });
      pages += 1;
      items.push(...(page?.items ?? []).map(({ item }) => JSON.stringify(item)));
      objects.push(...(page?.objects ?? []));
      after = page?.next;
    } while (after && pages < 200);
    // Assess
    expect(after).toBeUndefined();
    expect(pages).toBeGreaterThan(10);
    expect(items).toHaveLength(new Set(items).size);
    expect(items.sort()).toEqual((whole?.items ?? []).map(({ item }) => JSON.stringify(item)).sort());
    expect(objects).toHaveLength(owned.length);
    expect(objects.sort()).toEqual([...owned].sort());
    expect(whole?.objects.sort()).toEqual([...owned].sort());
  });
});
