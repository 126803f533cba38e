import type { IdFactory } from './ids.ts';
import type { ProviderReply, SimRequest } from './types.ts';

/**
 * What Twilio keeps of the messages: each message the simulator sent, and each inbound message a
 * test says Twilio received (`keep`), with its body and Media resources, so an erasure's redaction
 * is observable. The Message resource's redaction (`POST …/Messages/{Sid}.json` with `Body=`) and
 * its Media (`GET …/Messages/{Sid}/Media.json`, `DELETE …/Media/{MediaSid}.json`), in the account
 * that holds the message (404 from any other, as Twilio answers). Unlike Twilio, the simulator
 * redacts a message in any status (Twilio refuses one still queued or sending).
 */

const API_VERSION = '2010-04-01';

export interface SimulatedTwilioMessage {
  readonly accountSid: string;
  readonly sid: string;
  readonly direction: 'inbound' | 'outbound-api';
  readonly body: string;
  /** Media resource SIDs (`ME…`) still held. */
  readonly media: readonly string[];
  /** When the body was emptied through the API. */
  readonly redactedAt?: string;
}

interface Held {
  readonly accountSid: string;
  readonly sid: string;
  readonly direction: SimulatedTwilioMessage['direction'];
  body: string;
  media: { sid: string; contentType: string; created: string }[];
  redactedAt?: string;
}

export interface KeepTwilioMessage {
  readonly accountSid: string;
  readonly sid: string;
  readonly direction: SimulatedTwilioMessage['direction'];
  readonly body: string;
  /** Content types of its media, one Media resource each. */
  readonly mediaContentTypes?: readonly string[];
}

export interface TwilioMessages {
  keep(message: KeepTwilioMessage): void;
  /** Copies, in the order kept. */
  list(): SimulatedTwilioMessage[];
  /** A request to one message's resource or its media, already authenticated as `accountSid`. */
  handle(request: SimRequest, form: Record<string, string | string[]>, accountSid: string): ProviderReply;
}

/** RFC 2822 with `+0000`, as Twilio writes dates. */
const twilioDate = (date: Date): string => date.toUTCString().replace('GMT', '+0000');

const MESSAGE_PATH =
  /^\/2010-04-01\/Accounts\/[^/]+\/Messages\/([^/]+?)(?:\.json|\/Media\.json|\/Media\/([^/]+?)\.json)$/;

export const isTwilioMessagePath = (pathname: string): boolean => MESSAGE_PATH.test(pathname);

const ROUTES = {
  message: `POST /${API_VERSION}/Accounts/{AccountSid}/Messages/{Sid}.json`,
  media: `GET /${API_VERSION}/Accounts/{AccountSid}/Messages/{Sid}/Media.json`,
  medium: `DELETE /${API_VERSION}/Accounts/{AccountSid}/Messages/{Sid}/Media/{Sid}.json`,
} as const;

const error = (route: string, status: number, code: number, message: string, recordBody: unknown) => ({
  provider: 'twilio' as const,
  route,
  status,
  recordBody,
  body: {
    json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  },
});

export const createTwilioMessages = (ids: IdFactory): TwilioMessages => {
  const held = new Map<string, Held>();

  const messageUri = (message: Held) =>
    `/${API_VERSION}/Accounts/${message.accountSid}/Messages/${message.sid}`;
  const resource = (message: Held) => ({
    account_sid: message.accountSid,
    api_version: API_VERSION,
    body: message.body,
    direction: message.direction,
    num_media: String(message.media.length),
    sid: message.sid,
    subresource_uris: { media: `${messageUri(message)}/Media.json` },
    uri: `${messageUri(message)}.json`,
    ...(message.redactedAt ? { date_updated: message.redactedAt } : {}),
  });

  return {
    keep: (message) => {
      const created = twilioDate(new Date());
      held.set(message.sid, {
        accountSid: message.accountSid,
        sid: message.sid,
        direction: message.direction,
        body: message.body,
        media: (message.mediaContentTypes ?? []).map((contentType) => ({
          sid: ids.twilioMediaSid(),
          contentType,
          created,
        })),
      });
    },
    list: () =>
      [...held.values()].map((message) => ({
        accountSid: message.accountSid,
        sid: message.sid,
        direction: message.direction,
        body: message.body,
        media: message.media.map((medium) => medium.sid),
        ...(message.redactedAt ? { redactedAt: message.redactedAt } : {}),
      })),
    handle: (request, form, accountSid) => {
      const [, sid = '', mediaSid] = MESSAGE_PATH.exec(request.pathname) ?? [];
      const method = request.method.toUpperCase();
      const isMedia = request.pathname.includes('/Media');
      const route = !isMedia ? ROUTES.message : mediaSid === undefined ? ROUTES.media : ROUTES.medium;
      const message = held.get(sid);
      if (!message || message.accountSid !== accountSid)
        return error(route, 404, 20404, 'The requested resource was not found', form);
      if (!isMedia && method === 'POST') {
        // Redaction only: the update takes `Body` (which must be empty) or `Status=canceled`.
        if (form.Body !== '' || form.Status !== undefined)
          return error(route, 400, 30400, 'Parameters are not valid', form);
        message.body = '';
        message.redactedAt = twilioDate(new Date());
        return {
          provider: 'twilio',
          route,
          status: 200,
          recordBody: form,
          body: { json: resource(message) },
        };
      }
      if (isMedia && mediaSid === undefined && method === 'GET') {
        const list = message.media.map((medium) => ({
          account_sid: message.accountSid,
          content_type: medium.contentType,
          date_created: medium.created,
          parent_sid: message.sid,
          sid: medium.sid,
          uri: `${messageUri(message)}/Media/${medium.sid}.json`,
        }));
        return {
          provider: 'twilio',
          route,
          status: 200,
          recordBody: {},
          body: {
            json: {
              media_list: list,
              page: 0,
              page_size: Math.max(list.length, 50),
              first_page_uri: `${messageUri(message)}/Media.json?PageSize=50&Page=0`,
              next_page_uri: null,
              previous_page_uri: null,
              uri: `${messageUri(message)}/Media.json`,
            },
          },
        };
      }
      if (mediaSid !== undefined && method === 'DELETE') {
        if (!message.media.some((medium) => medium.sid === mediaSid))
          return error(route, 404, 20404, 'The requested resource was not found', {});
        message.media = message.media.filter((medium) => medium.sid !== mediaSid);
        return {
          provider: 'twilio',
          route,
          status: 204,
          recordBody: {},
          body: { text: '', contentType: 'application/json' },
        };
      }
      return error(route, 405, 20004, 'Method not allowed', form);
    },
  };
};
