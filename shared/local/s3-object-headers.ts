import type { buildApp } from 'fauxqs';
import { z } from 'zod';

/**
 * fauxqs serves an object inline with the type it was stored with, and ignores the
 * `response-content-disposition` of a presigned GET, which S3 honours (the hub presigns every
 * download with `attachment; filename="attachment-<i>.<ext>"`, shared/aws/media-objects.ts). An HTML or SVG attachment
 * opened from the console's Download link would then run its script on the emulator's origin, which
 * can read the bucket and the queues. So every object read gets what S3 would send plus two
 * headers S3 does not need: `nosniff`, and `Content-Security-Policy: sandbox`, which gives whatever
 * the browser renders an opaque origin and no script. The disposition is the URL's when it asks for
 * one, else the object's stored one, else `attachment`.
 */

/** fauxqs' route for object-level requests (`/{bucket}/{key}`). */
const OBJECT_ROUTE = '/:bucket/*';

const ObjectParamsSchema = z.looseObject({ '*': z.string().min(1) });
/** Printable ASCII only: a header value that cannot carry a line break (S3's own encoding is ASCII). */
const DispositionSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[\x20-\x7e]+$/);
const ObjectQuerySchema = z.looseObject({ 'response-content-disposition': DispositionSchema.optional() });

export const serveObjectsAsFiles = (app: ReturnType<typeof buildApp>): void => {
  // A callback hook: it sees every answer, SQS's too, and leaves all but object reads at once.
  app.addHook('onSend', (request, reply, payload, done) => {
    const objectRead =
      (request.method === 'GET' || request.method === 'HEAD') &&
      request.routeOptions.url === OBJECT_ROUTE &&
      ObjectParamsSchema.safeParse(request.params).success;
    if (objectRead) {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('content-security-policy', 'sandbox');
      const asked = ObjectQuerySchema.safeParse(request.query);
      const disposition = asked.success ? asked.data['response-content-disposition'] : undefined;
      if (disposition) reply.header('content-disposition', disposition);
      else if (!reply.hasHeader('content-disposition')) reply.header('content-disposition', 'attachment');
    }
    done(null, payload);
  });
};
