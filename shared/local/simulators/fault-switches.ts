import type { Fault } from './faults.ts';
import { MAILGUN_ERROR_TITLES } from './mailgun.ts';
import { MESSENGER_ERROR_TITLES } from './messenger.ts';
import { SES_ERROR_TITLES } from './ses.ts';
import { TWILIO_ERROR_TITLES } from './twilio.ts';
import { SIMULATED_PROVIDERS, type SimulatedProvider } from './types.ts';
import { WHATSAPP_ERROR_TITLES } from './whatsapp-errors.ts';

/**
 * Every fault the simulators play, as named switches (one per kind, and one per error code a
 * provider's catalog knows), for a person to arm one without writing the fault's JSON: the local
 * console lists them. Each switch is a fault as `POST /_local/providers/faults` takes it.
 */
export interface FaultSwitch {
  /** Stable: `<provider>:<kind>[:<code or variant>]`. */
  readonly id: string;
  readonly provider: SimulatedProvider;
  readonly label: string;
  readonly fault: Fault;
}

/** How long `slow` waits when armed from a switch: long enough to watch, short of any deadline. */
const SLOW_SWITCH_MS = 5000;

const errorSwitches = (
  provider: SimulatedProvider,
  titles: ReadonlyArray<readonly [number | string, string]>,
): FaultSwitch[] =>
  titles.map(([code, title]) => ({
    id: `${provider}:error:${code}`,
    provider,
    label: `error ${code}: ${title}`,
    fault: { provider, kind: 'error', code },
  }));

/** The kinds every sending provider plays the same way. */
const commonSwitches = (provider: SimulatedProvider): FaultSwitch[] => [
  { id: `${provider}:throttle`, provider, label: 'throttle', fault: { provider, kind: 'throttle' } },
  {
    id: `${provider}:server_error:500`,
    provider,
    label: 'server error (500)',
    fault: { provider, kind: 'server_error', status: 500 },
  },
  {
    id: `${provider}:server_error:503`,
    provider,
    label: 'server error (503)',
    fault: { provider, kind: 'server_error', status: 503 },
  },
  {
    id: `${provider}:slow`,
    provider,
    label: `slow (${SLOW_SWITCH_MS / 1000} s)`,
    fault: { provider, kind: 'slow', delayMs: SLOW_SWITCH_MS },
  },
  {
    id: `${provider}:accept_then_timeout`,
    provider,
    label: 'accept, then never answer',
    fault: { provider, kind: 'accept_then_timeout' },
  },
];

const deliveryFailed = (
  id: string,
  provider: SimulatedProvider,
  label: string,
  fault: Fault,
): FaultSwitch => ({
  id: `${provider}:delivery_failed${id}`,
  provider,
  label: `delivery failed${label}`,
  fault,
});

const SWITCHES: Readonly<Record<SimulatedProvider, readonly FaultSwitch[]>> = {
  whatsapp: [
    ...errorSwitches('whatsapp', WHATSAPP_ERROR_TITLES),
    ...commonSwitches('whatsapp'),
    deliveryFailed('', 'whatsapp', ' (131026)', { provider: 'whatsapp', kind: 'delivery_failed' }),
    {
      id: 'whatsapp:expired_media',
      provider: 'whatsapp',
      label: "customer's media expired",
      fault: { provider: 'whatsapp', kind: 'expired_media' },
    },
    {
      id: 'whatsapp:checksum_mismatch',
      provider: 'whatsapp',
      label: "customer's media fails its checksum",
      fault: { provider: 'whatsapp', kind: 'checksum_mismatch' },
    },
  ],
  messenger: [
    ...errorSwitches('messenger', MESSENGER_ERROR_TITLES),
    ...commonSwitches('messenger'),
    deliveryFailed('', 'messenger', ' (no delivery report)', {
      provider: 'messenger',
      kind: 'delivery_failed',
    }),
  ],
  twilio: [
    ...errorSwitches('twilio', TWILIO_ERROR_TITLES),
    ...commonSwitches('twilio'),
    deliveryFailed(':undelivered', 'twilio', ' (undelivered, 30003)', {
      provider: 'twilio',
      kind: 'delivery_failed',
      twilioStatus: 'undelivered',
    }),
    deliveryFailed(':failed', 'twilio', ' (failed, 30003)', {
      provider: 'twilio',
      kind: 'delivery_failed',
      twilioStatus: 'failed',
    }),
  ],
  ses: [
    ...errorSwitches('ses', SES_ERROR_TITLES),
    ...commonSwitches('ses'),
    ...(['Bounce', 'Complaint', 'DeliveryDelay', 'Reject'] as const).map((sesEvent) =>
      deliveryFailed(`:${sesEvent}`, 'ses', ` (${sesEvent})`, {
        provider: 'ses',
        kind: 'delivery_failed',
        sesEvent,
      }),
    ),
  ],
  mailgun: [
    ...errorSwitches('mailgun', MAILGUN_ERROR_TITLES),
    ...commonSwitches('mailgun'),
    ...(['permanent', 'temporary'] as const).map((severity) =>
      deliveryFailed(`:${severity}`, 'mailgun', ` (${severity})`, {
        provider: 'mailgun',
        kind: 'delivery_failed',
        severity,
      }),
    ),
  ],
};

/** Every switch, provider by provider. */
export const FAULT_SWITCHES: readonly FaultSwitch[] = SIMULATED_PROVIDERS.flatMap(
  (provider) => SWITCHES[provider],
);

/** The switch of an id, or undefined. */
export const faultSwitch = (id: string): FaultSwitch | undefined =>
  FAULT_SWITCHES.find((entry) => entry.id === id);
