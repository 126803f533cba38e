import type { IncomingHttpHeaders } from 'node:http';
import type { AllChannelSecrets } from '#shared/config/secrets.ts';
import type { CallbackQueue } from './callbacks.ts';
import type { Fault, FaultMatch } from './faults.ts';
import type { IdFactory } from './ids.ts';

/** The provider APIs the simulators play; also the `provider` of every recorded request. */
export const SIMULATED_PROVIDERS = ['whatsapp', 'messenger', 'twilio', 'ses', 'mailgun'] as const;
export type SimulatedProvider = (typeof SIMULATED_PROVIDERS)[number];

/** One status webhook (or SES event, or Mailgun event) posted back for a request, and how the hub answered. */
export interface SimulatedCallback {
  /** What was posted: `sent`, `delivered`, `read`, `failed`, `echo`, `Send`, `Bounce`… */
  readonly event: string;
  readonly url: string;
  readonly postedAt: string;
  /** The hub's HTTP status; absent when the post itself failed (see `error`). */
  readonly status?: number;
  readonly error?: string;
}

/** One request a simulated provider received, as recorded for `GET /_local/providers/requests`. */
export interface SimulatedRequest {
  readonly provider: SimulatedProvider;
  readonly method: string;
  /** The path the real provider would have seen (without the simulator's prefix), query included. */
  readonly path: string;
  readonly receivedAt: string;
  /** Lower-cased names; `authorization` left out. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, form fields as an object, or `{byteLength, sha256}` for raw MIME and files. */
  readonly body: unknown;
  readonly response: {
    readonly status: number;
    readonly body: unknown;
    /** `accept_then_timeout`: this answer was never sent; the socket was closed instead. */
    readonly withheld?: boolean;
    /** `slow`: the answer waited this long. */
    readonly delayedMs?: number;
  };
  /** The fault that shaped this answer, when one matched. */
  readonly fault?: Fault['kind'];
  readonly callbacks: readonly SimulatedCallback[];
}

/** A request as a provider handler sees it: its path is relative to the provider's base URL. */
export interface SimRequest {
  readonly method: string;
  /** Provider-relative pathname, e.g. `/v21.0/1234/messages`. */
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type ReplyBody =
  | { readonly json: unknown }
  | { readonly text: string; readonly contentType: string }
  | { readonly bytes: Buffer; readonly contentType: string }
  /** A file sent as it is generated (never held whole); recorded as its length and digest. */
  | {
      readonly chunks: () => Iterable<Buffer>;
      readonly contentType: string;
      readonly byteLength: number;
      readonly sha256: string;
    };

/** What a provider handler answers, and what the generic layer does around it. */
export interface ProviderReply {
  readonly provider: SimulatedProvider;
  /** The route as a template, for log lines (never ids, numbers or addresses). */
  readonly route: string;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: ReplyBody;
  /** The request body as recorded. */
  readonly recordBody: unknown;
  /** The fault that matched this request, if any. */
  readonly fault?: Fault;
  /** Called once the send is accepted (before any timing fault): schedules the status callbacks. */
  readonly afterAccept?: (record: (callback: SimulatedCallback) => void) => void;
}

export interface StatusDelays {
  readonly sent: number;
  readonly delivered: number;
  readonly read: number;
}

/** What every provider handler may use. */
export interface SimContext {
  readonly ids: IdFactory;
  readonly hubBaseUrl: string;
  /** The base URL the hub checks Twilio signatures over, when a tunnel exposes it (see ProviderSimulatorOptions). */
  readonly hubPublicBaseUrl?: string;
  readonly secrets: AllChannelSecrets;
  readonly delays: StatusDelays;
  readonly callbacks: CallbackQueue;
  /** The first fault matching, consumed (its `times` counted down). */
  readonly takeFault: (match: FaultMatch) => Fault | undefined;
  /** The simulators' own base URL (media download links point at it). */
  readonly baseUrl: () => string;
  readonly log: (line: string) => void;
}

export type ProviderHandler = (request: SimRequest, context: SimContext) => Promise<ProviderReply>;
