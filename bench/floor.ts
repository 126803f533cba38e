import { createHmac } from 'node:crypto';
import PostalMime from 'postal-mime';
import type { SignedSample } from './webhook-path.ts';
import { BENCH_SECRETS } from './webhook-path.ts';

/**
 * The least any webhook must do with the same bytes, written plainly here rather than taken from
 * the adapters: check the provider's HMAC and decode the body once.
 *   Meta: HMAC-SHA256 of the body + JSON.parse.
 *   Twilio: form decoding + HMAC-SHA1 over the URL and the sorted parameters.
 *   Mailgun: HMAC-SHA256 of timestamp + token + MIME parsing with postal-mime (the multipart
 *   form-data around the MIME is NOT in the floor, though the real path must decode it).
 */
export const floorFor = (signed: SignedSample): (() => unknown) => {
  const { sample, outgoing } = signed;
  switch (sample.channel) {
    case 'messenger':
    case 'whatsapp': {
      const body = outgoing.body;
      return () => {
        const signature = createHmac('sha256', BENCH_SECRETS.meta.appSecret).update(body).digest('hex');
        return [signature, JSON.parse(body.toString('utf8'))];
      };
    }
    case 'sms': {
      const body = outgoing.body;
      const url = outgoing.url;
      return () => {
        const params = [...new URLSearchParams(body.toString('utf8'))];
        params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        let data = url;
        for (const [name, value] of params) data += name + value;
        return createHmac('sha1', BENCH_SECRETS.twilio.authToken).update(data, 'utf8').digest('base64');
      };
    }
    case 'email': {
      const mime = sample.payload;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const token = 'a'.repeat(50);
      return async () => {
        const signature = createHmac('sha256', BENCH_SECRETS.mailgun.signingKey)
          .update(`${timestamp}${token}`)
          .digest('hex');
        return [signature, await PostalMime.parse(mime)];
      };
    }
  }
};
