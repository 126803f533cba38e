import { z } from 'zod';
import { jsonOrUndefined } from '#shared/channels/provider-answer.ts';
import { redactContactDetails } from '#shared/channels/provider-text.ts';
import type { ProviderError } from '#shared/contract/types.ts';
import type { ProviderResponse } from '#shared/outbound/provider-http.ts';

/*
 * Graph API error answers, as the Graph error-handling guide and the WhatsApp error-codes page
 * document them: `{error:{message, type, code, error_subcode?, error_user_title?, error_user_msg?,
 * error_data?:{messaging_product?, details}, fbtrace_id}}`. `error_data` is an object on the
 * WhatsApp Cloud API and sometimes a plain string elsewhere on the Graph API.
 */

const integer = z.union([z.number().int(), z.string().regex(/^-?\d{1,12}$/)]).transform(Number);

const GraphErrorBodySchema = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: integer,
    error_subcode: integer.optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    error_data: z.union([z.string(), z.looseObject({ details: z.string().optional() })]).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** A Graph answer that was not a success, as far as it could be read. */
export interface GraphFailure {
  readonly status: number;
  /** Graph's `code`; absent when the body was not a Graph error. */
  readonly code?: number;
  readonly subcode?: number;
  /** `error_data.details`: Meta keys its errors on code plus details. */
  readonly details?: string;
  /** What the provider said, in the contract's form. */
  readonly error: ProviderError;
  /** From `Retry-After` or the business-use-case usage header, when either says. */
  readonly retryAfterMs?: number;
  /**
   * Graph refused the node the call was made on as one this token cannot reach (see `refusesNode`):
   * the endpoint's token, not the message, is at fault.
   */
  readonly nodeUnreachable?: true;
}

/** What a reading knows of the call it answers. */
export interface GraphCall {
  /**
   * The node the call was made on (`/{node}/messages`, `/{node}/media`): a phone number id, a page
   * id, `me`. Without it no answer is taken for the node's own.
   */
  readonly node?: string;
  /** The clock a `Retry-After` date is read against (now when absent). */
  readonly now?: number;
}

/**
 * Graph's code 100 with subcode 33: "Unsupported post request. Object with ID '<id>' does not exist,
 * cannot be loaded due to missing permissions, or does not support this operation" (the Graph API's
 * answer to a call on an object the token cannot load; public reports quote it, Meta's error tables
 * list only code 100). It names the object it could not load.
 */
const NO_SUCH_OBJECT = { code: 100, subcode: 33 } as const;
const NAMED_OBJECT = /Object with ID '([^']+)'/;

/**
 * Whether the object Graph could not load is the call's own node: a phone number or page the token
 * was never given (the system user's token for a page or WhatsApp account not assigned to it), or
 * `me` resolved to no page. Every call on that endpoint with that token fails so, whatever it sends.
 * Another object named (a media id, a message a reply quotes) is the message's fault. Read from
 * Graph's own message before any masking: an id of 15 digits would be masked as a phone number.
 */
const refusesNode = (
  graph: { code: number; error_subcode?: number | undefined; message?: string | undefined },
  node: string | undefined,
): boolean =>
  node !== undefined &&
  graph.code === NO_SUCH_OBJECT.code &&
  graph.error_subcode === NO_SUCH_OBJECT.subcode &&
  NAMED_OBJECT.exec(graph.message ?? '')?.[1] === node;

/** Graph's own words beside the title: its error type, subcode and trace id (for Meta support). */
const metaLine = (type: string | undefined, subcode: number | undefined, trace: string | undefined) => {
  const fields = [
    type !== undefined ? `type=${type}` : undefined,
    subcode !== undefined ? `error_subcode=${subcode}` : undefined,
    trace !== undefined ? `fbtrace_id=${trace}` : undefined,
  ].filter((field) => field !== undefined);
  return fields.length > 0 ? fields.join(' ') : undefined;
};

/** `Retry-After` in seconds or as an HTTP date. */
const retryAfterHeader = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  if (/^\d{1,6}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

const UsageSchema = z.record(
  z.string(),
  z.array(z.looseObject({ estimated_time_to_regain_access: z.number().nonnegative().optional() })),
);

/**
 * Graph's `X-Business-Use-Case-Usage` header: per business, per use case, the minutes until calls
 * are allowed again (Graph API rate-limiting guide). The longest wait wins.
 */
const regainAccessMs = (value: string | undefined): number | undefined => {
  const parsed = value === undefined ? undefined : UsageSchema.safeParse(jsonOrUndefined(value));
  if (!parsed?.success) return undefined;
  const minutes = Object.values(parsed.data)
    .flat()
    .map((usage) => usage.estimated_time_to_regain_access ?? 0);
  const longest = Math.max(0, ...minutes);
  return longest > 0 ? longest * 60_000 : undefined;
};

/** Reads a non-2xx Graph answer to `call`; never throws. */
export const readGraphFailure = (response: ProviderResponse, call: GraphCall = {}): GraphFailure => {
  const now = call.now ?? Date.now();
  const headers = response.headers;
  const retryAfterMs =
    retryAfterHeader(headers['retry-after'], now) ?? regainAccessMs(headers['x-business-use-case-usage']);
  const wait = retryAfterMs !== undefined ? { retryAfterMs } : {};
  const parsed = GraphErrorBodySchema.safeParse(jsonOrUndefined(response.body));
  if (!parsed.success) {
    return {
      status: response.status,
      error: { code: `http_${response.status}`, title: 'HTTP error without a Graph error body' },
      ...wait,
    };
  }
  const graph = parsed.data.error;
  const details = typeof graph.error_data === 'string' ? graph.error_data : graph.error_data?.details;
  // The provider's own words may quote the recipient; the type, subcode and trace id are ours to keep.
  const userText = [graph.error_user_title, graph.error_user_msg]
    .filter((text) => text !== undefined)
    .map(redactContactDetails);
  const message = [...userText, metaLine(graph.type, graph.error_subcode, graph.fbtrace_id)]
    .filter((text) => text !== undefined && text !== '')
    .join(' | ');
  const error: ProviderError = {
    code: String(graph.code),
    ...(graph.message !== undefined ? { title: redactContactDetails(graph.message) } : {}),
    ...(message !== '' ? { message } : {}),
    ...(details !== undefined ? { details: redactContactDetails(details) } : {}),
  };
  return {
    status: response.status,
    code: graph.code,
    ...(graph.error_subcode !== undefined ? { subcode: graph.error_subcode } : {}),
    ...(details !== undefined ? { details } : {}),
    error,
    ...wait,
    ...(refusesNode(graph, call.node) ? { nodeUnreachable: true as const } : {}),
  };
};
