import type { buildApp } from 'fauxqs';
import { REFUSAL, refusalOf } from './origin-guard.ts';

/**
 * The SQS/S3 emulator (fauxqs) checks no signature: whoever reaches its port can read the payload
 * bucket, receive from the queues and send to the outbox. It adds no CORS header, so a web page
 * cannot read its answers, but it can still send to it (a form-encoded or `no-cors` POST needs no
 * preflight), and a DNS-rebinding page reads the answers under its own name. This hook refuses both
 * (origin-guard.ts) before fauxqs routes or parses anything. The SDK sends no Origin and names
 * 127.0.0.1 or, for the queue URLs the hub's functions follow, `sqs.<region>.localhost`; the
 * console's Download link is a top-level GET, which carries no Origin either.
 */
export const guardFauxqs = (app: ReturnType<typeof buildApp>): void => {
  // A callback hook, not an async one: it runs on every SQS poll, and needs no promise of its own.
  app.addHook('onRequest', (request, reply, done) => {
    const refused = refusalOf(request.headers, request.socket.localPort ?? 0, {
      origin: 'none',
      localhostSubdomains: true,
    });
    if (refused) reply.code(REFUSAL.statusCode).headers(REFUSAL.headers).send(REFUSAL.body);
    else done();
  });
};
