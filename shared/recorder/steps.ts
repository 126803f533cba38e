import type { HubEvent } from '#shared/contract/index.ts';

/** Every externally visible step of recording one event; a crash can happen after any of them. */
export const RECORDER_STEPS = [
  'link-send',
  'check-message',
  'claim-message',
  'load-conversation',
  'claim-identities',
  'alias-conversation',
  'index-contact',
  'record-consent',
  'keep-unreadable-email',
  'save-conversation',
  'mark-counted',
  'write-register',
  'publish',
  'enqueue-media',
  'put-message',
] as const;
export type RecorderStep = (typeof RECORDER_STEPS)[number];

/** Called after each step completes. Production passes nothing; tests throw here to simulate a crash. */
export type AfterStep = (step: RecorderStep, event: HubEvent) => void | Promise<void>;
