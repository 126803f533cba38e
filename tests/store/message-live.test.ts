import { describe, expect, it } from 'vitest';
import { hubMessageIdFor } from '#shared/contract/ids.ts';
import type { Message } from '#shared/contract/index.ts';
import { messageStateKey } from '#shared/store/keys.ts';
import { liveStateIdsOf, liveStateOf } from '#shared/store/message-live.ts';

/*
 * A message the hub sent is recorded under its own id, but the provider's statuses name its provider
 * messages: its live state is read from theirs, a multi-part send as far as its least advanced part.
 */

const register = (value: unknown, order = '1') => ({ order, eventId: 'evt', value: JSON.stringify(value) });
const status = (name: string) => ({ status: name, providerStatus: name, at: '2026-12-01T10:00:00.000Z' });

const sent = (providerMessageIds: string[]): Message =>
  ({
    hubMessageId: 'msg_hub',
    channel: 'whatsapp',
    direction: 'outbound',
    sentBy: 'hub',
    providerMessageIds,
  }) as unknown as Message;

describe("a message's live state", () => {
  it("is read under the provider messages' ids for a hub send, under its own id otherwise", () => {
    // Act
    const hubSend = liveStateIdsOf('msg_hub', sent(['wamid.A', 'wamid.B']));
    const inbound = liveStateIdsOf('msg_in', { ...sent([]), sentBy: undefined } as unknown as Message);
    // Assess
    expect(hubSend).toEqual([hubMessageIdFor('whatsapp', 'wamid.A'), hubMessageIdFor('whatsapp', 'wamid.B')]);
    expect(inbound).toEqual(['msg_in']);
  });

  it('shows a multi-part send as far as its least advanced part, a failed part before delivered ones', () => {
    // Prepare
    const ids = liveStateIdsOf('msg_hub', sent(['wamid.A', 'wamid.B', 'wamid.C']));
    const [a, b, c] = ids.map((id) => messageStateKey(id).pk);
    const items = (statuses: Record<string, string | undefined>) =>
      new Map(
        Object.entries({
          [a as string]: statuses.a,
          [b as string]: statuses.b,
          [c as string]: statuses.c,
        }).map(([pk, name]) => [pk, name ? { pk, status: register(status(name)) } : { pk }]),
      );
    // Act
    const allRead = liveStateOf(ids, items({ a: 'read', b: 'read', c: 'read' }));
    const oneBehind = liveStateOf(ids, items({ a: 'read', b: 'delivered', c: 'sent' }));
    const oneFailed = liveStateOf(ids, items({ a: 'delivered', b: 'failed', c: 'read' }));
    const none = liveStateOf(ids, items({}));
    // Assess
    expect(allRead.status?.status).toBe('read');
    expect(oneBehind.status?.status).toBe('sent');
    expect(oneFailed.status?.status).toBe('failed');
    expect(none.status).toBeUndefined();
  });

  it('never shows a multi-part send behind a status it showed: none until every part has reported', () => {
    // Prepare: part A read before part B (paced seconds behind it) reports its first status, sent
    const ids = liveStateIdsOf('msg_hub', sent(['wamid.A', 'wamid.B']));
    const [a, b] = ids.map((id) => messageStateKey(id).pk) as [string, string];
    const items = (statuses: Record<string, string>) =>
      new Map(Object.entries(statuses).map(([pk, name]) => [pk, { pk, status: register(status(name)) }]));
    // Act
    const beforeB = liveStateOf(ids, items({ [a]: 'read' }));
    const afterB = liveStateOf(ids, items({ [a]: 'read', [b]: 'sent' }));
    const bothRead = liveStateOf(ids, items({ [a]: 'read', [b]: 'read' }));
    // Assess
    expect(beforeB.status).toBeUndefined();
    expect(afterB.status?.status).toBe('sent');
    expect(bothRead.status?.status).toBe('read');
  });
});
