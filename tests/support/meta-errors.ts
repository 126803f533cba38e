import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import { toOutcome } from '#shared/channels/meta/outbound/verdict.ts';
import { classifyWhatsAppFailure } from '#shared/channels/whatsapp/outbound/classify.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import type { ProviderResponse } from '#shared/outbound/provider-http.ts';

const META_ERRORS_DIR = join(import.meta.dirname, '../channels/fixtures/meta-errors');

/** One recorded Graph error answer and what it must mean. */
export interface MetaErrorFixture {
  readonly name: string;
  readonly channel: 'whatsapp' | 'messenger';
  readonly response: ProviderResponse;
  /** The Graph error object as answered. */
  readonly error: {
    code: number;
    message: string;
    error_subcode?: number;
    error_data?: { details?: string };
    fbtrace_id?: string;
  };
  readonly expect: {
    kind: string;
    reason?: string;
    retryable?: boolean;
    /** Retryable, but ended at once for a later send (WhatsApp's 131048 and 131049). */
    retryLater?: boolean;
    /** A throttle's own wait rule (WhatsApp's pair rate). */
    backoff?: { minMs: number; factor: number };
  };
}

export const metaErrorFixtures = (channel: 'whatsapp' | 'messenger'): MetaErrorFixture[] =>
  readdirSync(META_ERRORS_DIR)
    .filter((file) => file.startsWith(`${channel}-`) && file.endsWith('.json'))
    .sort()
    .map((file) => {
      const doc = JSON.parse(readFileSync(join(META_ERRORS_DIR, file), 'utf8'));
      return {
        name: file.replace(/\.json$/, ''),
        channel,
        response: { status: doc.status, headers: doc.headers, body: JSON.stringify(doc.response) },
        error: doc.response.error,
        expect: doc.expect,
      };
    });

/** The recorded WhatsApp answer `whatsapp-<code>` as the WhatsApp sender answers it: classified. */
export const whatsAppAnswer = (code: number): SendOutcome => {
  const fixture = metaErrorFixtures('whatsapp').find((each) => each.name === `whatsapp-${code}`);
  if (!fixture) throw new Error(`no recorded ${code} answer`);
  const failure = readGraphFailure(fixture.response);
  return toOutcome(classifyWhatsAppFailure(failure), failure);
};

/**
 * Graph's error when a call names a node the token cannot reach, as public reports quote it (a page
 * or phone number id with a token never given it, `me` with a token that resolves to no page):
 * code 100, subcode 33, the node's id in the message.
 */
export const noSuchObjectError = (objectId: string) => ({
  message: `Unsupported post request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  type: 'GraphMethodException',
  code: 100,
  error_subcode: 33,
  fbtrace_id: 'AvN3kq9XbT2',
});

/** `noSuchObjectError` as Graph answers it: HTTP 400. */
export const noSuchObjectAnswer = (objectId: string): ProviderResponse => ({
  status: 400,
  headers: { 'content-type': 'application/json; charset=UTF-8' },
  body: JSON.stringify({ error: noSuchObjectError(objectId) }),
});
