import { graphErrorReply, graphSegments } from './graph.ts';
import { readJson } from './http-io.ts';
import { handleMessengerMessages } from './messenger.ts';
import type { ProviderHandler, SimulatedProvider } from './types.ts';
import { handleWhatsAppMessages } from './whatsapp.ts';
import type { WhatsAppMedia } from './whatsapp-media.ts';

/**
 * graph.facebook.com: WhatsApp and Messenger share the host and the `/{id}/messages` edge. Meta
 * knows which by the node (a phone number or a page); the simulators tell by the body, since a
 * WhatsApp send always names `messaging_product` (and `to` or a string `recipient`).
 */
const providerOfMessagesBody = (body: unknown, node: string): SimulatedProvider => {
  if (typeof body !== 'object' || body === null) return node === 'me' ? 'messenger' : 'whatsapp';
  const fields = body as Record<string, unknown>;
  const whatsApp = 'messaging_product' in fields || 'to' in fields || typeof fields.recipient === 'string';
  return whatsApp ? 'whatsapp' : 'messenger';
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const createGraphHandler =
  (media: WhatsAppMedia): ProviderHandler =>
  async (request, context) => {
    const segments = graphSegments(request);
    const [, node, edge, ...rest] = segments ?? [];
    const method = request.method.toUpperCase();
    if (segments && node && rest.length === 0) {
      if (method === 'POST' && edge === 'messages') {
        const json = readJson(request.body);
        const body = json.ok ? json.value : undefined;
        const provider = providerOfMessagesBody(body, node);
        if (!isObject(body)) {
          return graphErrorReply(
            {
              code: 100,
              message: '(#100) The request body must be a JSON object',
              details: 'Body is not JSON.',
            },
            { provider, route: 'POST /{version}/{id}/messages', recordBody: request.body.toString('utf8') },
            context,
          );
        }
        return provider === 'whatsapp'
          ? handleWhatsAppMessages(request, node, body, context)
          : handleMessengerMessages(request, node, body, context);
      }
      if (method === 'POST' && edge === 'media') return media.upload(request, context);
      if (method === 'GET' && edge === undefined) return media.lookup(request, node, context);
      if (method === 'DELETE' && edge === undefined) return media.remove(request, node, context);
    }
    return graphErrorReply(
      { code: 2500, message: `Unknown path components: ${request.pathname}` },
      { provider: 'whatsapp', route: `${method} <unknown graph path>`, recordBody: null },
      context,
    );
  };
