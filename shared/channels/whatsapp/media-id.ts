import { z } from 'zod';

/**
 * A WhatsApp media id as the hub keeps it (an upload of the sender's, remembered for erasure; a
 * pending redaction): Graph's ids are digits; anything that could leave its URL path segment is refused.
 */
export const WhatsAppMediaIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/);
