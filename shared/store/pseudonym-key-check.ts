import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import type { Logger } from '#shared/observability/logger.ts';
import { PSEUDONYM_KEY_MISMATCH } from '#shared/observability/metric-names.ts';
import { isConditionFailure } from './item-rules.ts';
import { PSEUDONYM_KEY_CHECK_KEY, type PseudonymKey } from './keys.ts';
import type { PseudonymKeySource } from './suppressions.ts';
import { type TableContext, track } from './table.ts';

/*
 * The pseudonym key's check (`KEYCHECK#pseudonym-key` / `KEYCHECK`, keys.ts). Kept opt-outs are
 * found only under the key they were filed with, so a key whose value changed (a manual
 * put-secret-value, a stack recreated beside a kept table, a deploy from another copy) would find
 * none and let sends go to numbers that said STOP, without an error. The table therefore holds an
 * HMAC-SHA256 of a fixed constant under the key (never the key, nor anything of a contact): written
 * by the first key load there ever is (a put conditioned on no item), and compared, in constant
 * time, by every execution environment's first key load, beside its one GetSecretValue. A key that
 * does not match is refused: the key source rejects with PseudonymKeyMismatchError, as it rejects
 * when the secret cannot be read, so every reader fails closed (no consent check passes, no opt-out
 * is filed or moved) and the error line PSEUDONYM_KEY_MISMATCH.logMessage raises the alarm.
 */

/** What the check item holds an HMAC of. Never changed: every table's check was written over it. */
const CHECK_CONSTANT = 'switchboard/pseudonym-key-check/v1';

/**
 * How long an environment answers a refused key from memory before it reads the secret and the
 * check item again. A refusal is not kept for the environment's life: once the operator sets the
 * secret back to the value the table was filed under (or, deliberately, deletes the check item), the
 * environments take it up within this time, without a deployment. Nor is it tried again on every
 * need: a burst of sends would read the secret and log the error once each.
 */
const RECHECK_AFTER_MS = 60_000;

const CheckItemSchema = z.object({
  pk: z.literal(PSEUDONYM_KEY_CHECK_KEY.pk),
  sk: z.literal(PSEUDONYM_KEY_CHECK_KEY.sk),
  hmac: z.string().regex(/^[0-9a-f]{64}$/),
});

export type PseudonymKeyMismatchReason = 'differs' | 'malformed';

/** The key does not match the table's check item; it names no key material, neither the key nor the HMAC. */
export class PseudonymKeyMismatchError extends Error {
  override readonly name = 'PseudonymKeyMismatchError';

  constructor(readonly reason: PseudonymKeyMismatchReason) {
    super(
      reason === 'differs'
        ? 'the pseudonym key does not match the check item in the table: it is not the key the kept opt-outs are filed under'
        : 'the pseudonym key check item in the table is malformed: the key cannot be checked',
    );
  }
}

/**
 * The table has no check item, and this caller may not write the first one (an operator tool: a key
 * it was wrongly given would then be the one every function is held to).
 */
export class PseudonymKeyCheckMissingError extends Error {
  override readonly name = 'PseudonymKeyCheckMissingError';

  constructor() {
    super(
      'the table has no pseudonym key check yet: let a deployed function load the key first (an SMS send, a consent event or an erasure through the API), then run this again',
    );
  }
}

/** The check item changed between its conditional put and the read after (deleted): checked again later. */
class PseudonymKeyCheckRaceError extends Error {
  override readonly name = 'PseudonymKeyCheckRaceError';
}

/** The HMAC the check item holds for `key`, as bytes. */
const checkOf = (key: PseudonymKey): Buffer =>
  createHmac('sha256', key).update(CHECK_CONSTANT, 'utf8').digest();

/** The check item's HMAC; undefined when there is none, refused when it is there but not one. */
const readCheck = async (context: TableContext): Promise<Buffer | undefined> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(PSEUDONYM_KEY_CHECK_KEY),
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  if (!output.Item) return undefined;
  const parsed = CheckItemSchema.safeParse(unmarshall(output.Item));
  if (!parsed.success) throw new PseudonymKeyMismatchError('malformed');
  return Buffer.from(parsed.data.hmac, 'hex');
};

const compare = (stored: Buffer, expected: Buffer): void => {
  // Both are 32 bytes (the schema's 64 hex digits), as timingSafeEqual requires.
  if (!timingSafeEqual(stored, expected)) throw new PseudonymKeyMismatchError('differs');
};

/**
 * Checks `key` against the table's check item: `written` when this call wrote it (the first use of
 * any key on this table), `matched` when it was there and matched. Refuses a key that does not
 * match, or a check item that is not one (PseudonymKeyMismatchError). Of two first writers at once,
 * the one whose put DynamoDB refused reads the other's and compares.
 */
export const verifyPseudonymKey = async (
  context: TableContext,
  key: PseudonymKey,
  { firstWrite = true }: { readonly firstWrite?: boolean } = {},
): Promise<'written' | 'matched'> => {
  const expected = checkOf(key);
  const stored = await readCheck(context);
  if (stored) {
    compare(stored, expected);
    return 'matched';
  }
  if (!firstWrite) throw new PseudonymKeyCheckMissingError();
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...PSEUDONYM_KEY_CHECK_KEY,
          hmac: expected.toString('hex'),
          algorithm: 'HMAC-SHA256',
          writtenAt: context.now().toISOString(),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return 'written';
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const raced = await readCheck(context);
  if (!raced) throw new PseudonymKeyCheckRaceError('the pseudonym key check item vanished while checked');
  compare(raced, expected);
  return 'matched';
};

export interface CheckedPseudonymKeyOptions {
  /** Where a refusal is logged (PSEUDONYM_KEY_MISMATCH.logMessage, error level). */
  readonly logger: Pick<Logger, 'error'>;
  /** @default RECHECK_AFTER_MS (60 s) */
  readonly recheckAfterMs?: number;
  /**
   * Whether a table without a check item gets one written under this key. Operator tools pass
   * false: they compare only, since a key an operator named wrongly must not become the one every
   * function is held to (and a rekey would then move the legacy opt-outs under it).
   * @default true
   */
  readonly firstWrite?: boolean;
}

/**
 * `source` checked against the table's check item on its first load, then kept for the life of the
 * execution environment: one GetItem beside the one GetSecretValue (and a PutItem on the table's
 * first use), none per send. A refused key rejects with PseudonymKeyMismatchError and is logged;
 * the refusal is answered from memory for `recheckAfterMs`, after which the secret is read again
 * (`fresh`) and checked again. Any other failure (the secret or the item could not be read) is not
 * kept: the next call tries again, as the key source does. Concurrent callers share one check.
 */
export const checkedPseudonymKey = (
  context: TableContext,
  source: PseudonymKeySource,
  options: CheckedPseudonymKeyOptions,
): PseudonymKeySource => {
  const recheckAfterMs = options.recheckAfterMs ?? RECHECK_AFTER_MS;
  let checked: Promise<PseudonymKey> | undefined;
  let refused: { readonly error: PseudonymKeyMismatchError; readonly atMs: number } | undefined;
  return () => {
    if (checked) return checked;
    if (refused && context.now().getTime() - refused.atMs < recheckAfterMs)
      return Promise.reject(refused.error);
    const fresh = refused !== undefined;
    const check = (async () => {
      const key = await source(fresh ? { fresh } : undefined);
      await verifyPseudonymKey(context, key, { firstWrite: options.firstWrite ?? true });
      return key;
    })();
    checked = check;
    check.then(
      () => {
        refused = undefined;
      },
      (error: unknown) => {
        checked = undefined;
        if (!(error instanceof PseudonymKeyMismatchError)) return;
        refused = { error, atMs: context.now().getTime() };
        options.logger.error(PSEUDONYM_KEY_MISMATCH.logMessage, {
          reason: error.reason,
          errorName: error.name,
        });
      },
    );
    return check;
  };
};
