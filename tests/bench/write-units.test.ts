import { describe, expect, it } from 'vitest';
import { STRAIGHTFORWARD_INDEXES } from '../../bench/aws-usage.ts';
import { indexPartitionWriteUnitsOf, indexWriteUnitsOf, itemBytes } from '../../bench/write-units.ts';

/*
 * The write-unit meter prices index writes as the DynamoDB developer guide describes them; the
 * outbound cost row rests on it, so each rule is pinned here.
 */
describe('write-unit meter', () => {
  const message = {
    pk: { S: 'MSG#m1' },
    sk: { S: 'MSG' },
    gsi2pk: { S: 'CONVMSGS#c1' },
    gsi2sk: { S: 't#m1' },
  };

  it('counts a put into an index and none for an item outside every index', () => {
    // Act
    const entering = indexWriteUnitsOf(undefined, message);
    const outside = indexWriteUnitsOf(undefined, { pk: { S: 'X' }, sk: { S: 'Y' } });
    // Assess
    expect(entering).toEqual({ gsi2: 1 });
    expect(outside).toEqual({});
  });

  it('charges an all-attributes index for a changed item, a keys-only index only when its key moves', () => {
    // Prepare: a conversation in gsi1 (keys only) and gsi4 (keys only), a send in gsi2 (all)
    const conversation = {
      pk: { S: 'CONV#c1' },
      sk: { S: 'STATE' },
      gsi1pk: { S: 'STATUS#open' },
      gsi1sk: { S: '2026-11-22T11#c1' },
      gsi4pk: { S: 'WAITING' },
      gsi4sk: { S: '2026-11-22T11:40' },
      version: { N: '1' },
    };
    const { gsi4pk: _pk, gsi4sk: _sk, ...answered } = conversation;
    // Act
    const sameKeys = indexWriteUnitsOf(conversation, { ...conversation, version: { N: '2' } });
    const moved = indexWriteUnitsOf(conversation, {
      ...answered,
      gsi1sk: { S: '2026-11-22T12#c1' },
      version: { N: '2' },
    });
    const sendMarked = indexWriteUnitsOf(message, { ...message, state: { S: 'sent' } });
    // Assess
    expect(sameKeys).toEqual({});
    expect(moved).toEqual({ gsi1: 2, gsi4: 1 });
    expect(sendMarked).toEqual({ gsi2: 1 });
  });

  it('sizes items by names and values, and prices an all-attributes entry per started KB', () => {
    // Prepare: 1,500 bytes of data
    const large = { ...message, data: { S: 'x'.repeat(1_500) } };
    // Act
    const bytes = itemBytes(large);
    const units = indexWriteUnitsOf(undefined, large);
    // Assess: pk 2+6, sk 2+3, gsi2pk 6+11, gsi2sk 6+4, data 4+1500
    expect(bytes).toBe(1_544);
    expect(itemBytes({ n: { N: '12345' }, b: { BOOL: true } })).toBe(1 + 4 + 1 + 1);
    expect(units).toEqual({ gsi2: 2 });
  });

  it('prices the straightforward design’s exact-time, all-attributes by-status index from the same writes', () => {
    // Prepare: a conversation whose second message comes within the hour (the hub's gsi1 stays put)
    const conversationAt = (lastMessageAt: string, version: number) => ({
      pk: { S: 'CONV#c1' },
      sk: { S: 'STATE' },
      gsi1pk: { S: 'STATUS#open' },
      gsi1sk: { S: '2026-11-22T11#c1' },
      model: { S: JSON.stringify({ state: { createdAt: '2026-11-22T11:00:00.000Z', lastMessageAt } }) },
      version: { N: String(version) },
    });
    const first = conversationAt('2026-11-22T11:10:00.000Z', 1);
    const second = conversationAt('2026-11-22T11:20:00.000Z', 2);
    // Act
    const hub = indexWriteUnitsOf(first, second);
    const straightforward = indexWriteUnitsOf(first, second, STRAIGHTFORWARD_INDEXES);
    // Assess: the exact-time entry moves (a delete and a put)
    expect(hub).toEqual({});
    expect(straightforward).toEqual({ gsi1: 2 });
  });

  it('names the index partitions every conversation shares, and charges a move where the entry was and where it goes', () => {
    // Prepare: a waiting open conversation answered in a new hour, then resolved
    const conversation = {
      pk: { S: 'CONV#c1' },
      sk: { S: 'STATE' },
      gsi1pk: { S: 'STATUS#open' },
      gsi1sk: { S: '2026-11-22T11#c1' },
      gsi3pk: { S: 'PERSON#p1' },
      gsi3sk: { S: 'CONV#c1' },
      gsi4pk: { S: 'WAITING' },
      gsi4sk: { S: '2026-11-22T11:40' },
    };
    const { gsi4pk: _pk, gsi4sk: _sk, ...answered } = conversation;
    const moved = { ...answered, gsi1sk: { S: '2026-11-22T12#c1' } };
    // Act
    const opened = indexPartitionWriteUnitsOf(undefined, conversation);
    const reply = indexPartitionWriteUnitsOf(conversation, moved);
    const resolved = indexPartitionWriteUnitsOf(moved, { ...moved, gsi1pk: { S: 'STATUS#resolved' } });
    // Assess: the person's partition is one of many; STATUS# and WAITING are one each
    expect(opened).toEqual({ 'gsi1 STATUS#open': 1, 'gsi3 per item': 1, 'gsi4 WAITING': 1 });
    expect(reply).toEqual({ 'gsi1 STATUS#open': 2, 'gsi4 WAITING': 1 });
    expect(resolved).toEqual({ 'gsi1 STATUS#open': 1, 'gsi1 STATUS#resolved': 1 });
    expect(indexWriteUnitsOf(conversation, moved)).toEqual({ gsi1: 2, gsi4: 1 });
  });
});
