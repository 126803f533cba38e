// The inbox's filters: channel, status and "waiting for a reply" through the helpdesk API's own
// query parameters (GET /v1/conversations?channel=…&status=…&waiting=true); "unread only" has no
// parameter, so it filters the page the API answered.
import htm from 'htm';
import { h } from 'preact';

const html = htm.bind(h);

export const DEFAULT_FILTERS = { channel: '', status: 'open', waiting: false, unread: false };

const CHANNELS = [
  ['', 'All channels'],
  ['whatsapp', 'WhatsApp'],
  ['messenger', 'Messenger'],
  ['sms', 'SMS'],
  ['email', 'E-mail'],
];
const STATUSES = ['open', 'pending', 'snoozed', 'resolved'];

/** The list's API path for the filters (waiting lists open conversations only, longest wait first). */
export function inboxPath(filters) {
  const query = new URLSearchParams({ limit: '100' });
  if (filters.channel) query.set('channel', filters.channel);
  if (filters.waiting) query.set('waiting', 'true');
  else query.set('status', filters.status);
  return `/v1/conversations?${query}`;
}

/** What the API has no parameter for. */
export function filterPage(items, filters) {
  return filters.unread ? items.filter((conversation) => conversation.unreadCount > 0) : items;
}

export function InboxFilters({ filters, onChange }) {
  const set = (change) => onChange({ ...filters, ...change });
  return html`<fieldset class="inbox-filters">
    <legend>Filter the inbox</legend>
    <label for="filter-channel">Channel</label>
    <select id="filter-channel" value=${filters.channel} onChange=${(event) => set({ channel: event.currentTarget.value })}>
      ${CHANNELS.map(([value, name]) => html`<option key=${value} value=${value}>${name}</option>`)}
    </select>
    <label for="filter-status">Status</label>
    <select
      id="filter-status"
      value=${filters.status}
      disabled=${filters.waiting}
      aria-describedby=${filters.waiting ? 'filter-status-note' : undefined}
      onChange=${(event) => set({ status: event.currentTarget.value })}
    >
      ${STATUSES.map((status) => html`<option key=${status} value=${status}>${status}</option>`)}
    </select>
    <label class="check">
      <input id="filter-waiting" type="checkbox" checked=${filters.waiting} onChange=${(event) => set({ waiting: event.currentTarget.checked })} />
      Waiting for a reply
    </label>
    <label class="check">
      <input id="filter-unread" type="checkbox" checked=${filters.unread} onChange=${(event) => set({ unread: event.currentTarget.checked })} />
      Unread only
    </label>
    ${filters.waiting ? html`<p id="filter-status-note" class="hint">Waiting lists open conversations, longest wait first.</p>` : null}
  </fieldset>`;
}
