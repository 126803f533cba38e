import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { onAwsClientsReset } from '../clients.ts';
import { AwsJsonClient, type AwsJsonClientOptions } from './aws-json.ts';
import { DYNAMODB_SERVICE } from './dynamodb.ts';

/*
 * The store modules' DynamoDB calls (`client.send(new UpdateItemCommand(input))`) as signed
 * requests of their own, without the SDK's per-call machinery: the same item commands, the same
 * answers and errors, at about half the client's CPU per call (measured on 2026-12-06 against the
 * local DynamoDB: GetItem 290–310 → 135–155 µs, UpdateItem 350 → 150–185 µs; its middleware stack,
 * schema serde and endpoint rules, not the HTTP, are the difference). The recorder, the sender,
 * the media fetcher, the helpdesk API and the attention sweeper send every item command through it;
 * the stores stay written against the SDK's command classes, so tests may hand them an SDK client.
 *
 * What the SDK would do and this does too: binary attributes (`B`, `BS`) go as base64 and come back
 * as bytes; a failed condition is a `ConditionalCheckFailedException` carrying the old `Item` when
 * asked for (`ReturnValuesOnConditionCheckFailure`); the standard retries (./signed-caller.ts).
 */

/** The operations the stores send, by command class (classes, not names: bundles may minify names). */
const OPERATIONS = new Map<unknown, string>([
  [GetItemCommand, 'GetItem'],
  [PutItemCommand, 'PutItem'],
  [UpdateItemCommand, 'UpdateItem'],
  [DeleteItemCommand, 'DeleteItem'],
  [QueryCommand, 'Query'],
  [ScanCommand, 'Scan'],
  [BatchGetItemCommand, 'BatchGetItem'],
  [BatchWriteItemCommand, 'BatchWriteItem'],
]);

/**
 * A request's input as JSON wants it: bytes as base64, as the SDK's JSON codec sends a `B`.
 * Anything else is left as it is.
 */
const encodeBytes = (value: unknown): unknown => {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(encodeBytes);
  // Object.fromEntries makes own properties, so a member named `__proto__` stays a member.
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([name, member]) => [name, encodeBytes(member)]));
  return value;
};

const bytesOf = (base64: string): Uint8Array => {
  const buffer = Buffer.from(base64, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
};

/**
 * An answer as the SDK gives it: every binary attribute value back to bytes. An attribute value is
 * the one object whose only member is `B` with a string (or `BS` with an array of them); a map
 * holding an attribute named `B` has an attribute value object there, never a string.
 */
const decodeBytes = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(decodeBytes);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [name, member] = entries[0] as [string, unknown];
    if (name === 'B' && typeof member === 'string') return { B: bytesOf(member) };
    if (name === 'BS' && Array.isArray(member) && member.every((item) => typeof item === 'string'))
      return { BS: member.map((item: string) => bytesOf(item)) };
  }
  return Object.fromEntries(entries.map(([name, member]) => [name, decodeBytes(member)]));
};

/** What a store hands `send`: one of the SDK's item commands, whose `input` is the request. */
interface ItemCommand {
  readonly input: object;
}

export class SignedDynamoDbCommands {
  private readonly client: AwsJsonClient;

  constructor(options: Omit<AwsJsonClientOptions, 'service'> = {}) {
    this.client = new AwsJsonClient({
      // Long enough for any item call (the SDK sets none): a write retried after a timeout may find
      // its own first attempt applied, which the stores read as a lost race, as after a dropped connection.
      timeoutMs: 10_000,
      ...options,
      service: DYNAMODB_SERVICE,
      errorMembers: ['Item'],
    });
  }

  /** The SDK client's `send` for the item commands the stores use; any other command is refused. */
  readonly send = ((command: ItemCommand) => this.call(command)) as unknown as DynamoDBClient['send'];

  private async call(command: ItemCommand): Promise<unknown> {
    const operation = OPERATIONS.get(command.constructor);
    if (operation === undefined)
      throw new Error(`${command.constructor.name} is not an item command this client sends`);
    try {
      return decodeBytes(await this.client.call(operation, encodeBytes(command.input) as object));
    } catch (error) {
      const withItem = error as { Item?: unknown };
      if (withItem.Item !== undefined) withItem.Item = decodeBytes(withItem.Item);
      throw error;
    }
  }
}

let commands: SignedDynamoDbCommands | undefined;

onAwsClientsReset(() => {
  commands = undefined;
});

/** The process's signed DynamoDB client for the stores (endpoint, region and credentials from the environment). */
export const signedDynamoDbCommands = (): SignedDynamoDbCommands => {
  commands ??= new SignedDynamoDbCommands();
  return commands;
};
