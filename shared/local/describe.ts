import { type ConversationState, type HubEvent, HubEventSchema } from '#shared/contract/index.ts';

/**
 * Safe one-line descriptions of events and conversations for terminals: ids, types and shapes,
 * never message text, and contacts masked.
 */

const DOT = '•';

/** `+30•••••21`: enough to tell contacts apart on screen, not enough to dial. */
const maskPhone = (value: string): string => {
  const digits = value.replace(/^\+/, '');
  const prefix = value.startsWith('+') ? '+' : '';
  if (digits.length <= 4) return `${prefix}${DOT.repeat(digits.length)}`;
  return `${prefix}${digits.slice(0, 2)}${DOT.repeat(digits.length - 4)}${digits.slice(-2)}`;
};

/** `j•••@e•••••.com` */
const maskEmail = (value: string): string => {
  const [local = '', domain = ''] = value.split('@');
  const lastDot = domain.lastIndexOf('.');
  const host = lastDot > 0 ? domain.slice(0, lastDot) : domain;
  const tld = lastDot > 0 ? domain.slice(lastDot) : '';
  return `${local.slice(0, 1)}${DOT.repeat(3)}@${host.slice(0, 1)}${DOT.repeat(Math.max(3, host.length - 1))}${tld}`;
};

/** Platform ids (PSID, IGSID…) are not secret, but shortening them keeps tables readable and anonymous. */
const maskOpaqueId = (value: string): string =>
  value.length <= 6 ? DOT.repeat(value.length) : `${value.slice(0, 3)}${DOT.repeat(3)}${value.slice(-2)}`;

const maskIdentity = (identity: { type: string; value: string }): string => {
  if (identity.type === 'email' || identity.value.includes('@')) return maskEmail(identity.value);
  if (identity.type === 'phone' || identity.type === 'wa_id' || /^\+?\d{6,}$/.test(identity.value)) {
    return maskPhone(identity.value.replace(/^whatsapp:/, ''));
  }
  return maskOpaqueId(identity.value);
};

export interface EventSummary {
  readonly type: string;
  readonly id: string;
  readonly subject: string;
  readonly time: string;
  /** What kind of content, never the content: part types, a status, a state version. */
  readonly detail: string;
}

const partTypes = (parts: ReadonlyArray<{ type: string; kind?: string }>): string =>
  parts.map((part) => (part.kind ? `${part.type}(${part.kind})` : part.type)).join(', ') || 'no parts';

const summarizeEvent = (event: HubEvent): EventSummary => {
  const base = { type: event.type, id: event.id, subject: event.subject, time: event.time };
  switch (event.type) {
    case 'switchboard.message.received':
    case 'switchboard.message.sent':
      return { ...base, detail: `${event.data.direction} ${partTypes(event.data.parts)}` };
    case 'switchboard.message.edited':
      return { ...base, detail: `edit: ${partTypes(event.data.parts)}` };
    case 'switchboard.message.status_updated':
      return { ...base, detail: `status ${event.data.status}` };
    case 'switchboard.message.reaction_changed':
      return { ...base, detail: `reaction ${event.data.action}` };
    case 'switchboard.conversation.state_changed':
      return { ...base, detail: `${event.data.state.status} v${event.data.state.version}` };
    case 'switchboard.conversation.response_overdue':
      return { ...base, detail: `waited ${event.data.waitedSeconds} s of ${event.data.targetSeconds} s` };
    case 'switchboard.contact.consent_changed':
      return { ...base, detail: `${event.data.scope} ${event.data.consent}` };
    case 'switchboard.provider.unsupported':
      return { ...base, detail: `unsupported ${event.data.providerType}` };
    case 'switchboard.provider.error':
      return { ...base, detail: `errors ${event.data.errors.map((error) => error.code).join(', ')}` };
    default:
      return { ...base, detail: '' };
  }
};

/** Summary of a queue message body, or undefined when it is not a valid event. */
export const summarizeBody = (body: string): EventSummary | undefined => {
  try {
    const parsed = HubEventSchema.safeParse(JSON.parse(body));
    return parsed.success ? summarizeEvent(parsed.data) : undefined;
  } catch {
    return undefined;
  }
};

export interface ConversationRow {
  readonly channel: string;
  readonly contact: string;
  readonly status: string;
  readonly messages: string;
  readonly unread: string;
  readonly replyWindowCloses: string;
}

export const conversationRow = (state: ConversationState): ConversationRow => {
  const primary = state.contact.identities[0];
  return {
    channel: state.channel,
    contact: primary ? maskIdentity(primary) : '?',
    status: state.status,
    messages: String(state.messageCount),
    unread: String(state.unreadCount),
    replyWindowCloses: state.replyWindow.applies ? (state.replyWindow.closesAt ?? '—') : 'no window',
  };
};

/** A plain aligned text table. */
export const renderTable = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => [...(row[column] ?? '')].length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - [...cell].length)).join('  ');
  return [line(headers), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)].join('\n');
};
