// The inbox's filters: channel, status and "waiting for a reply" through the helpdesk API's own
// query parameters (GET /v1/conversations?channel=…&status=…&waiting=true); "unread only" has no
// parameter, so it filters what the API answered.
//
// The list is the API's pages one after another (nextCursor), up to READ_STEP conversations: the API
// applies `channel` within each page of 100 (README, Helpdesk API), so the first page alone could
// hold no match while later ones do (until 2026-12-06 the inbox read that page alone and said "No
// conversation matches"; found by a review). Past READ_STEP it says more exist and reads READ_STEP
// more on request. Each live update reads the list again to the same depth.
import htm from 'htm';
import { h } from 'preact';
import { call } from './api.js';

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

/** The API's largest page. */
const PAGE_LIMIT = 100;
/** How many conversations the inbox reads at once (10 pages): a sane cap for a local hub's list. */
export const READ_STEP = 1000;

/**
 * The list's API path for the filters (waiting lists open conversations only, longest wait first),
 * from `cursor` (a page's nextCursor) when given.
 */
export function inboxPath(filters, cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
  if (filters.channel) query.set('channel', filters.channel);
  if (filters.waiting) query.set('waiting', 'true');
  else query.set('status', filters.status);
  if (cursor) query.set('cursor', cursor);
  return `/v1/conversations?${query}`;
}

/** What the API has no parameter for. */
function filterPage(items, filters) {
  return filters.unread ? items.filter((conversation) => conversation.unreadCount > 0) : items;
}

/** A conversation's last activity, as the API orders its lists: its newest message, else its creation. */
const lastActivityOf = (conversation) => conversation.lastMessageAt ?? conversation.createdAt;

/** Newest activity first, then by id: the API's order within one page, which its pages do not keep across. */
const newestActivityFirst = (a, b) => {
  const [at, bt] = [lastActivityOf(a), lastActivityOf(b)];
  if (at !== bt) return at < bt ? 1 : -1;
  return a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0;
};

/**
 * The inbox's conversations for the filters: the API's pages one after another until none is left or
 * `budget` conversations were listed (pages of PAGE_LIMIT, each filtered by `channel` within it),
 * newest activity first. The API's status lists are exact in that order within a page only (across
 * pages, one hour's conversations come by id), so the pages read are ordered again; the waiting list
 * is exact across pages, and kept as the API gave it. `more`: the API has more past the budget. A
 * conversation that moved between two pages' reads shows once, as its newer version.
 */
export async function readInbox(filters, budget, stopped) {
  const found = new Map();
  let cursor;
  for (let listed = 0; listed < budget; listed += PAGE_LIMIT) {
    const page = await call(inboxPath(filters, cursor));
    if (stopped()) return undefined;
    for (const conversation of filterPage(page.items, filters)) {
      const known = found.get(conversation.conversationId);
      if (!known || conversation.version > known.version)
        found.set(conversation.conversationId, conversation);
    }
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const items = [...found.values()];
  // None listed: whether the hub holds any conversation at all (in any status, on any channel, read
  // or not; the API lists one status at a time), so an empty inbox says whether the filters hide
  // them (until 2026-12-06 an inbox of resolved conversations said "No conversations yet"; found by
  // a review). A cursor says the index holds more, as a conversation does.
  let hidden = false;
  if (items.length === 0 && cursor === undefined) {
    const firsts = await Promise.all(
      STATUSES.map((status) => call(`/v1/conversations?limit=1&status=${status}`)),
    );
    if (stopped()) return undefined;
    hidden = firsts.some((first) => first.items.length > 0 || first.nextCursor !== undefined);
  }
  return {
    items: filters.waiting ? items : items.sort(newestActivityFirst),
    more: cursor !== undefined,
    hidden,
  };
}

/** What an empty inbox says: whether any conversation exists, and whether the filters hide them. */
export function emptyInboxWords({ more, budget, hidden }, filters) {
  if (more) return `None of the first ${budget.toLocaleString('en')} conversations matches these filters.`;
  if (!hidden) return 'No conversations yet. Act as the customer to start one.';
  if (JSON.stringify(filters) === JSON.stringify(DEFAULT_FILTERS))
    return 'No open conversations. The hub holds others, pending, snoozed or resolved: choose them under Status.';
  return 'No conversation matches these filters. The hub holds others: change the filters to see them.';
}

/** What the inbox says when the API has more than it read, with the button that reads READ_STEP more. */
export function MoreConversations({ budget, filtered, onMore }) {
  const read = budget.toLocaleString('en');
  return html`<p class="hint more-conversations" role="status">
    ${filtered ? `Showing the matches among the first ${read} conversations` : `Showing the first ${read} conversations`}; more exist.
    <button type="button" class="link" onClick=${onMore}>Read ${READ_STEP.toLocaleString('en')} more</button>
  </p>`;
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
