import type { GraphErrorSpec } from './graph.ts';

/**
 * WhatsApp Cloud API error codes the simulators answer with (synchronously, as Graph errors) or
 * report (asynchronously, in a `failed` status). Titles and details follow Meta's error-code page;
 * the exact wording of some details is ours.
 */
interface WhatsAppErrorFacts {
  readonly title: string;
  readonly details: string;
  readonly status?: number;
  readonly subcode?: number;
}

const CATALOG: Readonly<Record<number, WhatsAppErrorFacts>> = {
  100: { title: 'Invalid parameter', details: 'A parameter of the request is missing or not valid.' },
  190: {
    title: 'Error validating access token: Session has expired.',
    details: 'The access token has expired.',
    status: 401,
    subcode: 463,
  },
  80007: { title: 'Rate limit issues', details: 'The WhatsApp Business Account has reached its rate limit.' },
  130429: { title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.' },
  131000: { title: 'Something went wrong', details: 'Message failed to send due to an unknown error.' },
  131026: {
    title: 'Message undeliverable',
    details:
      'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.',
  },
  131047: {
    title: 'Re-engagement message',
    details:
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131048: {
    title: 'Spam rate limit hit',
    details:
      'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
  },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131051: { title: 'Unsupported message type', details: 'Message type is not currently supported.' },
  131056: {
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details:
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  },
  132000: {
    title: 'Number of parameters does not match the expected number of params',
    details: 'body: number of localizable_params does not match the expected number of params',
  },
  132001: {
    title: 'Template does not exist',
    details: 'The template name does not exist in the translation.',
  },
  132012: {
    title: 'Parameter format does not match format in the created template',
    details: 'A parameter does not match the format of the template.',
  },
};

/** The codes the simulated Graph API knows by name, for the fault switches (./fault-switches.ts). */
export const WHATSAPP_ERROR_TITLES: ReadonlyArray<readonly [code: number, title: string]> = Object.entries(
  CATALOG,
).map(([code, facts]) => [Number(code), facts.title]);

const whatsAppErrorFacts = (code: number): WhatsAppErrorFacts =>
  CATALOG[code] ?? { title: 'Error', details: `Error code ${code}.` };

/** The synchronous Graph error for a code, as the send endpoint answers it. */
export const whatsAppErrorSpec = (code: number, subcode?: number, message?: string): GraphErrorSpec => {
  const facts = whatsAppErrorFacts(code);
  const chosenSubcode = subcode ?? facts.subcode;
  return {
    code,
    message: message ?? (code === 190 ? facts.title : `(#${code}) ${facts.title}`),
    details: facts.details,
    ...(chosenSubcode !== undefined ? { subcode: chosenSubcode } : {}),
    ...(facts.status !== undefined ? { status: facts.status } : {}),
  };
};

/** An entry of a `failed` status's `errors`. */
export const whatsAppStatusError = (code: number) => {
  const facts = whatsAppErrorFacts(code);
  return {
    code,
    title: facts.title,
    message: facts.title,
    error_data: { details: facts.details },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
};
