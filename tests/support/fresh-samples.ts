import { join } from 'node:path';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample } from '#shared/local/samples.ts';

/** A WhatsApp text sample from a customer of its own, written now (the reply window is open). */
export const whatsappCustomerSample = (customer: string, wamid: string): Sample => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, 'whatsapp/text.json')]).samples;
  if (!sample) throw new Error('no sample');
  const text = sample.payload
    .toString('utf8')
    .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(Date.now() / 1000)}"`)
    .replace(/"wa_id":\s*"\d+"/g, `"wa_id":"${customer}"`)
    .replace(/"from":\s*"\d+"/g, `"from":"${customer}"`)
    .replace(/"id":\s*"wamid\.[^"]+"/g, `"id":"${wamid}"`);
  return { ...sample, payload: Buffer.from(text, 'utf8') };
};
