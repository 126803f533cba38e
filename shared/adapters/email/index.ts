export { handleMailgunWebhook, type MailgunDeps } from './mailgun.ts';
export { signMailgun, verifyMailgun } from './mailgun-signature.ts';
export { type InboundEmailContext, type NormalizedEmail, normalizeInboundEmail } from './normalize.ts';
export { InMemoryReplayGuard, type ReplayGuard } from './replay-guard.ts';
export { parseSesReceiptEvent, type SesReceipt } from './ses.ts';
