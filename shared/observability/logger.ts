import * as v from 'valibot';
import { type LogLevel, LogLevelSchema } from '#shared/config/runtime.ts';
import { CONTACT_ID_PATTERN, CONVERSATION_ID_PATTERN } from '#shared/contract/ids.ts';
import type { Channel } from '#shared/contract/types.ts';
import { redactString, redactValue } from './redact.ts';

/**
 * The only fields a log entry may carry: ids, counts, types, codes, reasons and durations. There is
 * deliberately no free-form field, so message text, phone numbers and addresses have no way in.
 */
export interface LogFields {
  readonly channel?: Channel;
  readonly route?: string;
  /** `spill`: accepted, its events kept in the spill for the drain to queue (shared/intake/spill.ts). */
  readonly outcome?: 'respond' | 'reject' | 'accept' | 'spill' | 'failed';
  readonly eventId?: string;
  readonly eventIds?: readonly string[];
  readonly conversationId?: string;
  /** The hub's id of a person (`ct_…`, a hash of an identifier, like a conversation id). */
  readonly contactId?: string;
  /** API Gateway's id of the request (`$context.requestId` in the access log). */
  readonly apiRequestId?: string;
  readonly providerMessageId?: string;
  /** Hub ids of a message, and of the command that sent it. */
  readonly hubMessageId?: string;
  readonly commandId?: string;
  /** A part's position in its message (attachments). */
  readonly partIndex?: number;
  readonly sesMessageId?: string;
  readonly eventType?: string;
  /** Events by CloudEvents type. */
  readonly eventCounts?: Readonly<Record<string, number>>;
  readonly eventCount?: number;
  readonly blobCount?: number;
  readonly batchCount?: number;
  readonly failedCount?: number;
  /** Events kept in the spill, and the spill objects holding them (shared/intake/spill.ts). */
  readonly spilledCount?: number;
  readonly objectCount?: number;
  /** How many identities (of a contact, a conversation): a count, never one of them. */
  readonly identityCount?: number;
  readonly attempt?: number;
  readonly statusCode?: number;
  /** A reason safe by contract (adapters' rejection reasons, our own constants). */
  readonly reason?: string;
  /** `error.name` only: messages of SDK or parser errors can quote input. */
  readonly errorName?: string;
  readonly errorCodes?: readonly string[];
  readonly durationMs?: number;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Receives one JSON line per entry, without the newline. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
  /** Read on every entry, so a handler can set it per invocation. */
  readonly requestId?: () => string | undefined;
}

/** Never throws: logging must keep working even when the rest of the configuration is broken. */
const logLevelFrom = (value: string | undefined): LogLevel => {
  const parsed = v.safeParse(LogLevelSchema, value);
  return parsed.success ? parsed.output : 'info';
};

const writeToStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

type LogEntry = Record<string, unknown>;

const setField = (entry: LogEntry, key: string, value: unknown): void => {
  // A `__proto__` key must stay data, not set the entry's prototype.
  if (key === '__proto__') {
    Object.defineProperty(entry, key, { value, enumerable: true, writable: true, configurable: true });
  } else entry[key] = value;
};

/**
 * Fields that hold an id some callers take from input they do not check (a command put on the outbox by hand names
 * any `conversationId` and `id` it likes): a value that is not of the id's form is logged as `[not an id]`, so free
 * text cannot ride in on them. A command's id is the helpdesk's to choose, so it is held to printable ASCII without
 * spaces (at most 256 characters) rather than to one form.
 */
const ID_FORMATS: Readonly<Partial<Record<keyof LogFields, RegExp>>> = {
  conversationId: CONVERSATION_ID_PATTERN,
  contactId: CONTACT_ID_PATTERN,
  commandId: /^[\x21-\x7e]{1,256}$/,
};

const NOT_AN_ID = '[not an id]';

const checkedValue = (key: string, value: unknown): unknown => {
  const format = ID_FORMATS[key as keyof LogFields];
  return format !== undefined && typeof value === 'string' && !format.test(value) ? NOT_AN_ID : value;
};

/**
 * Adds each field, redacted (key and value), to the entry in place. Assigning key by key gives the
 * same entry as spreading `redactValue({ ...bound, ...fields })` (a later key overrides an earlier
 * one where it stands) without building the merged and redacted copies first.
 */
const addRedactedFields = (entry: LogEntry, fields: LogFields): void => {
  for (const key of Object.keys(fields)) {
    setField(entry, redactString(key), redactValue(checkedValue(key, fields[key as keyof LogFields])));
  }
};

interface LoggerSettings {
  readonly threshold: number;
  readonly write: (line: string) => void;
  readonly now: () => Date;
  readonly requestId: (() => string | undefined) | undefined;
}

const copyFields = (entry: LogEntry, redacted: LogEntry): void => {
  for (const key of Object.keys(redacted)) setField(entry, key, redacted[key]);
};

/**
 * A class rather than closures: Lambda handlers make a child logger per request, and a child is
 * then one small object. Bound fields are redacted once, when the logger is made (from its
 * parent's already redacted ones), instead of on every entry.
 */
class RedactingLogger implements Logger {
  private readonly redactedBound: LogEntry = {};

  constructor(
    private readonly settings: LoggerSettings,
    parentBound: LogEntry | undefined,
    ownFields: LogFields,
  ) {
    if (parentBound !== undefined) copyFields(this.redactedBound, parentBound);
    addRedactedFields(this.redactedBound, ownFields);
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new RedactingLogger(this.settings, this.redactedBound, fields);
  }

  private log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    const { settings } = this;
    if (LEVEL_RANK[level] < settings.threshold) return;
    const requestId = settings.requestId?.();
    const entry: LogEntry = { level, time: settings.now().toISOString(), message: redactString(message) };
    if (requestId) entry.requestId = requestId;
    copyFields(entry, this.redactedBound);
    if (fields !== undefined) addRedactedFields(entry, fields);
    settings.write(JSON.stringify(entry));
  }
}

export const createLogger = (options: LoggerOptions = {}, bound: LogFields = {}): Logger =>
  new RedactingLogger(
    {
      threshold: LEVEL_RANK[options.level ?? 'info'],
      write: options.write ?? writeToStdout,
      now: options.now ?? (() => new Date()),
      requestId: options.requestId,
    },
    undefined,
    bound,
  );

let currentRequestId: string | undefined;

/** Lambda runs one invocation at a time per execution environment, so one module-level id is exact. */
export const setLogRequestId = (requestId: string | undefined): void => {
  currentRequestId = requestId;
};

/** The process-wide logger every Lambda uses. */
export const logger: Logger = createLogger({
  level: logLevelFrom(process.env.SWITCHBOARD_LOG_LEVEL),
  requestId: () => currentRequestId,
});

/** `Error.name` when it is one, without ever touching the message. */
export const errorNameOf = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error === 'object' && error !== null ? 'object' : typeof error;
