import { z } from 'zod';

/**
 * A WhatsApp media id as the hub uses it in a Graph URL path (the media fetcher's lookup, an upload
 * of the sender's remembered for erasure, a pending redaction): Graph's ids are digits; anything that
 * could leave its URL path segment is refused, dots alone included (`.` or `..` would resolve to the
 * Graph version's or the API's root, where the request would still carry the access token).
 */
export const WhatsAppMediaIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/)
  .refine((id) => !/^\.+$/.test(id), 'dots alone name no media');
