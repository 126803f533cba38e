// The Switchboard local console: Preact components written with htm tagged templates, loaded as ES
// modules straight from the hub (no build step). Everything it shows comes from the helpdesk API
// (/v1) with the hub's development token; acting as the customer and reading a send's outcome go
// through local-only endpoints (/_local/console/...). Every request goes through api.js.
import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, GONE, hubNotAnswering, readUnlessGone } from './api.js';
import { ContactPanel } from './contact.js';
import { RawEvents } from './events.js';
import { heldFocus, useKeptFocus } from './focus.js';
import { Hood } from './hood.js';
import {
  DEFAULT_FILTERS,
  emptyInboxWords,
  InboxFilters,
  inboxPath,
  MoreConversations,
  READ_STEP,
  readInbox,
} from './inbox.js';
import {
  concernsConversation,
  concernsInbox,
  FALLBACK_POLL_MS,
  onStreamState,
  RETRY_SOON,
  startLiveStream,
  useLiveTask,
} from './live.js';
import { mask } from './masking.js';
import { ReplaySample } from './replay.js';
import { byteSize, MessageBody, Time } from './timeline.js';

const html = htm.bind(h);

const CHANNEL_NAMES = {
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  instagram: 'Instagram',
  sms: 'SMS',
  email: 'E-mail',
};
const CUSTOMER_CHANNELS = ['whatsapp', 'messenger', 'sms', 'email'];
/** The file a customer sends on each channel (served by the provider simulators). */
const MEDIA_WORDS = { whatsapp: 'A photo', sms: 'A file (MMS)', messenger: 'A PDF file' };
const DEFAULT_SENDERS = {
  whatsapp: '4915112345678',
  messenger: '7319482765104823',
  sms: '+14155550123',
  email: 'maria.keller@customer.example',
};
const SENDER_HINTS = {
  whatsapp: 'wa_id, digits only',
  messenger: 'page-scoped id, digits',
  sms: 'E.164, e.g. +14155550123',
  email: 'e-mail address',
};
/** What each refusal means, in the words a helpdesk would show (the reason code stays visible too). */
const FAILURE_WORDS = {
  window_closed: 'the reply window is closed',
  opted_out: 'the customer opted out',
  template_invalid: 'the template was refused',
  content_invalid: 'the provider refused the content',
  recipient_invalid: 'the recipient is not valid',
  recipient_unreachable: 'the recipient cannot be reached',
  rate_limited: 'rate limited',
  credentials: 'the provider refused the credentials or the business account',
  deadline_exceeded: 'too late (deadline passed)',
  outcome_unknown: 'outcome unknown',
  provider_error: 'provider error',
  conversation_unknown: 'unknown conversation',
};
const TICKS = {
  queued: '🕓',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  played: '✓✓',
  failed: '!',
};

function contactLabel(contact, reveal) {
  const identity = contact.identities[0];
  if (!identity) return '?';
  if (!reveal) return mask(identity);
  // Isolated: a name in a right-to-left script (Arabic, Hebrew) would otherwise take the number
  // and its brackets into its own direction, "(966501234567) محمد".
  return contact.displayName ? html`<bdi>${contact.displayName}</bdi> (${identity.value})` : identity.value;
}

function duration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

function waitingLabel(conversation, now) {
  return conversation.waitingSince
    ? `waiting ${duration(now - Date.parse(conversation.waitingSince))}`
    : 'answered';
}

function windowLabel(conversation, now) {
  const window = conversation.replyWindow;
  if (!window.applies) return 'no reply window';
  if (!window.closesAt) return 'window not open';
  const left = Date.parse(window.closesAt) - now;
  return left > 0 ? `window closes in ${duration(left)}` : 'window closed';
}

function Inbox({ list, selectedId, onSelect, reveal, now, filters, onFilters, onMore }) {
  const { conversations, more, budget } = list;
  // Only these filter what the API listed (within its pages, or on the page): status and waiting choose the list.
  const filtered = Boolean(filters.channel || filters.unread);
  return html`<section class="inbox" aria-labelledby="inbox-title">
    <h2 id="inbox-title">Inbox</h2>
    <${InboxFilters} filters=${filters} onChange=${onFilters} />
    ${
      conversations.length === 0
        ? html`<p class="empty">${emptyInboxWords(list, filters)}</p>`
        : html`<ul class="conversation-list">
            ${conversations.map(
              (conversation) => html`<li key=${conversation.conversationId}>
                <button
                  type="button"
                  class="conversation-row"
                  aria-current=${conversation.conversationId === selectedId ? 'true' : undefined}
                  data-conversation=${conversation.conversationId}
                  data-channel=${conversation.channel}
                  onClick=${() => onSelect(conversation.conversationId)}
                >
                  <span class=${`channel channel-${conversation.channel}`}>${CHANNEL_NAMES[conversation.channel] ?? conversation.channel}</span>
                  <span class="contact">${contactLabel(conversation.contact, reveal)}</span>
                  <span class="status">${conversation.status}</span>
                  ${conversation.unreadCount > 0 ? html`<span class="unread">${conversation.unreadCount} unread</span>` : null}
                  <span class="waiting">${waitingLabel(conversation, now)}</span>
                  <span class="window">${windowLabel(conversation, now)}</span>
                </button>
              </li>`,
            )}
          </ul>`
    }
    ${more ? html`<${MoreConversations} budget=${budget} filtered=${filtered} onMore=${onMore} />` : null}
  </section>`;
}

/**
 * A provider's error as a person can look it up: "WhatsApp 131051 Unsupported message type" (Meta's
 * titles start with the code again, "(#131051) …": said once).
 */
function providerError(error, channel) {
  const title = error.title?.replace(`(#${error.code})`, '').trim();
  return [CHANNEL_NAMES[channel] ?? channel, error.code, title].filter(Boolean).join(' ');
}

function Ticks({ status, channel }) {
  if (!status) return null;
  const reason =
    status.status === 'failed'
      ? (status.errors ?? []).map((error) => providerError(error, channel)).join(', ')
      : '';
  return html`<span class=${`ticks ticks-${status.status}`} data-status=${status.status}>
    <span aria-hidden="true">${TICKS[status.status] ?? ''}</span> ${status.status}${reason ? `: ${reason}` : ''}
  </span>`;
}

const STATUS_ORDER = ['sent', 'delivered', 'read'];

/**
 * A business message's status, raised to what the conversation's Messenger watermarks say: Messenger
 * reports "read" and "delivered" as a time up to which every message is, not per message, so the API
 * gives them on the conversation (`readWatermark`, `deliveredWatermark`) and a client applies them,
 * as Messenger's own apps do. A message with no status of its own (one the business sent from the
 * page inbox, whose echo no status names) is raised too: until 2026-12-07 it showed no ticks ever,
 * read or not; found by a review.
 */
function withWatermarks(status, message, conversation) {
  if (status?.status === 'failed' || !conversation) return status;
  const sentAt = Date.parse(message.providerTimestamp ?? message.receivedAt);
  const covered = (watermark) => watermark !== undefined && sentAt <= Date.parse(watermark);
  const raised = covered(conversation.readWatermark)
    ? 'read'
    : covered(conversation.deliveredWatermark)
      ? 'delivered'
      : undefined;
  return raised && (!status || STATUS_ORDER.indexOf(raised) > STATUS_ORDER.indexOf(status.status))
    ? { ...status, status: raised }
    : status;
}

/** How often a media read answered 429 or a 5xx is tried again on its own, before the page offers Try again. */
const MEDIA_RETRIES = 3;
/** The longest wait before trying again, whatever the answer's Retry-After says. */
const MEDIA_RETRY_CAP_MS = 5000;
/** The wait before try `attempt` (0, 1, 2) when the answer has no Retry-After: 0.5 s, 1 s, 2 s. */
const mediaBackoffMs = (attempt) => 500 * 2 ** attempt;

/** An answer that says the file may come soon: throttled (429) or a failure of the server's (5xx). */
function passing(status) {
  return status === 429 || (typeof status === 'number' && status >= 500);
}

/**
 * A media part as its state allows (copying, not available, for now or for good, an image, a file to
 * download), with the customer's caption below it as text in every state: it is what they wrote
 * about the file. A 429 or 5xx is tried again a few times (after its Retry-After, at most 5 s), then
 * offered to try again by hand, and so is an image whose URL does not load (with a fresh URL each
 * time). Until 2026-12-07 a 429 or 5xx showed the file as not available until the conversation was
 * opened again, as a 404 or 410 does; found by a review.
 */
function MediaPart({ hubMessageId, index, part }) {
  const [state, setState] = useState({ kind: 'loading' });
  // Raised by Try again: the effect starts over, with its tries counted from none.
  const [round, setRound] = useState(0);
  // An image whose URL did not load (its status is not the page's to read): read the part again.
  const imageFailed = useRef(() => {});
  useEffect(() => {
    let stopped = false;
    let timer;
    let attempt = 0;
    // Not available for now: try again after a while, a few times, then leave it to the person.
    const laterOr = (reason, retryAfterSeconds) => {
      const trying = attempt < MEDIA_RETRIES;
      setState({ kind: 'unavailable', reason, trying });
      if (!trying) return;
      const wait =
        retryAfterSeconds === undefined
          ? mediaBackoffMs(attempt)
          : Math.min(retryAfterSeconds * 1000, MEDIA_RETRY_CAP_MS);
      attempt += 1;
      timer = setTimeout(load, wait);
    };
    const apiLaterOr = (error) =>
      laterOr(new ApiError(error.status, error.body, null).message, error.retryAfterSeconds);
    imageFailed.current = () => {
      if (!stopped) laterOr('the image did not load', undefined);
    };
    // GET /v1/messages/{id}/media/{i}, wrapped by the hub in a 200 ({ status, body }) so that the
    // expected answers (409 copying, 410 failed, 404 not kept) do not show as errors in the browser.
    const load = async () => {
      try {
        const answer = await call(`/_local/console/media/${hubMessageId}/${index}`);
        if (stopped) return;
        if (answer.status === 200) setState({ kind: 'ready', download: answer.body });
        else if (answer.status === 409) timer = setTimeout(load, 2000);
        else if (passing(answer.status))
          apiLaterOr(new ApiError(answer.status, answer.body, answer.retryAfter ?? null));
        else
          setState({
            kind: 'failed',
            reason: answer.body?.reason ?? answer.body?.title ?? `HTTP ${answer.status}`,
          });
      } catch (error) {
        if (stopped) return;
        // The hub starting or not answering: still "copying…" until it answers, as the other panels wait.
        if (hubNotAnswering(error)) timer = setTimeout(load, FALLBACK_POLL_MS);
        else if (passing(error.status)) apiLaterOr(error);
        else setState({ kind: 'failed', reason: error.message });
      }
    };
    load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [hubMessageId, index, round]);
  const tryAgain = () => {
    setState({ kind: 'loading' });
    setRound((value) => value + 1);
  };
  return html`<figure class="media" data-part="media">
    <${MediaShown} state=${state} part=${part} tryAgain=${tryAgain} imageFailed=${() => imageFailed.current()} />
    ${part.caption ? html`<figcaption class="media-caption" dir="auto">${part.caption}</figcaption>` : null}
  </figure>`;
}

function MediaShown({ state, part, tryAgain, imageFailed }) {
  const label = part.filename ?? `${part.kind ?? 'file'} from the conversation`;
  if (state.kind === 'loading') return html`<p class="media-note">${label}: copying to the hub…</p>`;
  if (state.kind === 'failed')
    return html`<p class="media-note failure">${label}: not available (${state.reason})</p>`;
  if (state.kind === 'unavailable')
    return html`<p class="media-note" data-media="unavailable">
      ${label}: not available for now (${state.reason})${state.trying ? '; trying again…' : ''}
      ${state.trying ? null : html` <button type="button" class="media-retry" onClick=${tryAgain}>Try again<span class="visually-hidden"> to load ${label}</span></button>`}
    </p>`;
  if (state.download.contentType.startsWith('image/')) {
    return html`<img class="media-image" src=${state.download.url} alt=${label} onError=${imageFailed} />`;
  }
  const { contentType, size, url } = state.download;
  return html`<p class="part-file" data-part="file">
    <span aria-hidden="true">📎 </span>${part.filename ?? label} <span class="file-meta">(${contentType}${size ? `, ${byteSize(size)}` : ''})</span>
    <a href=${url} download=${part.filename ?? ''}>Download<span class="visually-hidden"> ${part.filename ?? label}</span></a>
  </p>`;
}

/**
 * Why the hub did not post a customer's message: the webhook's own status when it refused it (the
 * hub answers 502 with `webhookStatus`), else the answer's words. Until 2026-12-07 a refusal read
 * "HTTP 502" alone; found by a review.
 */
function notPostedWords(error) {
  const status = error?.body?.webhookStatus;
  return status === undefined ? error.message : `the webhook answered ${status}`;
}

/** Channels on which a customer can react to the business's message, and the customer's identity there. */
const REACTION_SENDERS = { whatsapp: ['wa_id', 'phone'], messenger: ['psid'] };

/** The customer reacts to a business message, through the channel's signed webhook like any customer message. */
function ReactAsCustomer({ conversation, message }) {
  const [notice, setNotice] = useState('');
  const types = REACTION_SENDERS[conversation.channel];
  const from =
    types && conversation.contact.identities.find((identity) => types.includes(identity.type))?.value;
  if (!from || !message.providerMessageId) return null;
  const react = async () => {
    try {
      await call('/_local/console/customer-message', {
        method: 'POST',
        body: {
          channel: conversation.channel,
          from,
          kind: 'reaction',
          targetProviderMessageId: message.providerMessageId,
          emoji: '👍',
        },
      });
      setNotice('reacted');
    } catch (error) {
      setNotice(`not posted: ${notPostedWords(error)}`);
    }
  };
  return html`<p class="react-as-customer">
    <button type="button" class="link" onClick=${react}>React 👍 as the customer</button>
    <span role="status">${notice}</span>
  </p>`;
}

function MessageItem({ item, conversation, reveal }) {
  const message = item.message;
  const outbound = message.direction === 'outbound';
  return html`<li class=${`message ${outbound ? 'outbound' : 'inbound'}`} data-message=${message.hubMessageId}>
    <p class="meta">${outbound ? 'Business' : 'Customer'} · <${Time} value=${message.providerTimestamp ?? message.receivedAt} /></p>
    ${message.email?.subject ? html`<p class="subject" dir="auto">${message.email.subject}</p>` : null}
    <${MessageBody} message=${message} live=${item.live} Media=${MediaPart} reveal=${reveal} />
    ${outbound ? html`<${Ticks} status=${withWatermarks(item.live?.status, message, conversation)} channel=${conversation.channel} />` : null}
    ${outbound ? html`<${ReactAsCustomer} conversation=${conversation} message=${message} />` : null}
  </li>`;
}

/** Whether sending the same reply again could help, as the send record's `retryable` says. */
const RETRY_WORDS = { true: 'sending again later may work', false: 'sending again will not help' };

/**
 * Why a reply was not sent: the reason in a helpdesk's words and as its code, the provider's own
 * code and title (what its documentation and support know it by), and whether to send it again:
 * "Not sent: the provider refused the content (content_invalid; WhatsApp 131051 Unsupported message
 * type; sending again will not help)". Until 2026-12-06 the provider's code was left out; found by a review.
 */
function refusalWords(failure, channel) {
  const reason = failure?.reason ?? 'unknown';
  const about = [
    reason,
    ...(failure?.errors ?? []).map((error) => providerError(error, channel)),
    ...(typeof failure?.retryable === 'boolean' ? [RETRY_WORDS[failure.retryable]] : []),
  ];
  return `Not sent: ${FAILURE_WORDS[reason] ?? 'failed'} (${about.join('; ')})${failure?.detail ? `: ${failure.detail}` : ''}`;
}

/** A reply the API accepted that is not a message yet: queued, being sent, or refused. */
function PendingItem({ pending, channel }) {
  const failed = pending.state === 'failed';
  return html`<li class=${`message outbound pending${failed ? ' refused' : ''}`} data-pending=${pending.hubMessageId}>
    <p class="meta">Business · ${failed ? 'not sent' : 'sending'}</p>
    <p class="text" dir="auto">${pending.text}</p>
    ${
      failed
        ? html`<p class="failure" role="alert" data-failure=${pending.failure?.reason}>${refusalWords(pending.failure, channel)}</p>`
        : html`<span class="ticks ticks-queued" data-status="queued"><span aria-hidden="true">🕓</span> ${pending.state}</span>`
    }
  </li>`;
}

/**
 * Whether an answer to a send says it was not and will not be taken: a 4xx other than 408 (timeout)
 * and 429 (rate limited). A 5xx or no answer at all ("Failed to fetch") leaves the outcome unknown:
 * the API may have queued the reply (the gateway answers 503 after 30 s while the handler goes on).
 */
function definitelyRefused(error) {
  const status = error?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Each conversation's last draft sent and its Idempotency-Key, until the API took it or refused it
 * for good. Kept by the page, not the reply box: the box goes when another conversation is chosen,
 * and the same text sent again on coming back must repeat the same request (until 2026-12-07 it
 * took a new key, so a reply whose first answer was unclear could go out twice; found by a review).
 */
const sendAttempts = new Map();

function ReplyBox({ conversation, onAccepted }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  // One Idempotency-Key per draft: a send again after an unclear answer repeats the request, which
  // the API answers with the first one's message instead of sending a second. A new key only once
  // the API took the reply or refused it for good, or for another text.
  const id = conversation.conversationId;
  // Set while a send runs: `busy` disables the button only once the page re-renders, so two presses
  // in one task would send twice without it.
  const sending = useRef(false);
  // The button is disabled while the send runs and stays so once the draft is empty: focus goes
  // back to the text box, ready for the next reply, rather than to the page's top.
  const box = useRef(null);
  const send = useRef(null);
  useKeptFocus(send, busy, () => box.current);
  const submit = async (event) => {
    event.preventDefault();
    const reply = text.trim();
    if (!reply || sending.current) return;
    sending.current = true;
    const path = `/v1/conversations/${id}/messages`;
    const body = { parts: [{ type: 'text', text: reply }], sender: { kind: 'agent', id: 'local-console' } };
    const draft = JSON.stringify([path, body]);
    if (sendAttempts.get(id)?.draft !== draft) sendAttempts.set(id, { draft, key: crypto.randomUUID() });
    setBusy(true);
    setNotice('');
    try {
      const accepted = await call(path, {
        method: 'POST',
        headers: { 'Idempotency-Key': sendAttempts.get(id).key },
        body,
      });
      sendAttempts.delete(id);
      onAccepted({ hubMessageId: accepted.hubMessageId, text: reply, state: 'queued' });
      setText('');
    } catch (error) {
      if (definitelyRefused(error)) {
        sendAttempts.delete(id);
        setNotice(`Refused: ${error.message}`);
      } else if (error?.status === 408 || error?.status === 429) {
        setNotice(`Not sent yet: ${error.message}. Sending again is safe (the same request again).`);
      } else {
        const answer = typeof error?.status === 'number' ? error.message : `no answer (${error?.message})`;
        setNotice(
          `Outcome unknown: ${answer}. Sending again is safe: it repeats the same request, which the hub sends at most once.`,
        );
      }
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };
  return html`<form class="reply" onSubmit=${submit}>
    <label for="reply-text">Reply as the business</label>
    <textarea id="reply-text" rows="3" dir="auto" ref=${box} value=${text} onInput=${(event) => setText(event.currentTarget.value)}></textarea>
    <button type="submit" ref=${send} disabled=${busy || !text.trim()}>Send reply</button>
    <p class="notice" role="status">${notice}</p>
  </form>`;
}

/** The pending list after a poll: checked entries updated, delivered ones dropped, new ones kept. */
function mergeChecked(list, checked, known) {
  const byId = new Map(checked.map((entry) => [entry.hubMessageId, entry]));
  return list
    .filter((entry) => !known.has(entry.hubMessageId))
    .map((entry) => byId.get(entry.hubMessageId) ?? entry);
}

/** Messages once each (by id), in the order given. */
function once(items) {
  const seen = new Set();
  return items.filter((item) => !seen.has(item.hubMessageId) && seen.add(item.hubMessageId));
}

/** How close to its end (px) the timeline counts as at the newest message: a new one then scrolls into view. */
const NEAR_BOTTOM_PX = 48;

/**
 * `pending` and `setPending` belong to the app, so a refused reply stays shown after switching away.
 * `onGone` tells the app the conversation no longer exists (its person erased), so it lets go of it.
 * `opened` changes each time the person chooses this conversation: focus then goes to its heading.
 *
 * The timeline reads the newest 50 messages, again on each event; "Show older messages" reads the
 * page before them (the API's `previousCursor`) and the page before that, and keeps them above, as
 * well as any message that the newest 50 leave behind meanwhile (until 2026-12-06 the console showed
 * the newest 50 alone and said nothing of the rest; found by a review).
 */
function Conversation({ conversation: given, reveal, now, pending, setPending, onOpen, onGone, opened }) {
  // The newest page, and the cursor to the messages before it.
  const [items, setItems] = useState([]);
  const [newestCursor, setNewestCursor] = useState(undefined);
  const [loaded, setLoaded] = useState(false);
  const newest = useRef([]);
  // The older messages shown on request (`opened`: asked for once), oldest first, and the cursor
  // to the page before them (none: the conversation starts there).
  const [earlier, setEarlier] = useState({ opened: false, items: [], cursor: undefined });
  const earlierOpened = useRef(false);
  const [olderRead, setOlderRead] = useState({ reading: false, notice: '' });
  const readingOlder = useRef(false);
  const [error, setError] = useState('');
  // Its own read of the conversation: the inbox's copy stops moving once a filter leaves it out of
  // the list, or never was there (another conversation of the contact's). The newer version shows.
  const [fresh, setFresh] = useState(undefined);
  const conversation = fresh && fresh.version > given.version ? fresh : given;
  const pendingRef = useRef(pending);
  pendingRef.current = pending;
  const id = given.conversationId;

  useLiveTask(
    async (stopped) => {
      try {
        const [page, current] = await Promise.all([
          readUnlessGone('timeline', id),
          readUnlessGone('conversation', id),
        ]);
        if (stopped()) return;
        // Gone (its person erased): nothing of it stays on screen or in the page's memory, the
        // header's name and number and the reply box included.
        if (page === GONE || current === GONE) {
          setFresh(undefined);
          newest.current = [];
          setItems([]);
          setEarlier({ opened: false, items: [], cursor: undefined });
          onGone();
          return;
        }
        setFresh(current);
        const inPage = new Set(page.items.map((item) => item.hubMessageId));
        // Messages newer ones pushed out of the newest 50 stay shown once older ones were asked for.
        const left = newest.current.filter((item) => !inPage.has(item.hubMessageId));
        newest.current = page.items;
        if (earlierOpened.current && left.length > 0)
          setEarlier((known) => ({ ...known, items: once([...known.items, ...left]) }));
        setItems(page.items);
        setNewestCursor(page.previousCursor);
        setLoaded(true);
        setError('');
        // A reply leaves the pending list once it is a message; a refused one stays, with its reason.
        const open = pendingRef.current.filter((entry) => !inPage.has(entry.hubMessageId));
        const checked = await Promise.all(
          open.map(async (entry) =>
            entry.state === 'failed'
              ? entry
              : { ...entry, ...(await call(`/_local/console/sends/${entry.hubMessageId}`)) },
          ),
        );
        if (!stopped()) setPending((list) => mergeChecked(list, checked, inPage));
      } catch (failure) {
        if (stopped()) return;
        // The hub starting or not answering: the header says so; what was read stays until it answers.
        if (hubNotAnswering(failure)) return RETRY_SOON;
        setError(failure.message);
      }
    },
    [id],
    (event) => concernsConversation(event, id),
  );

  const timeline = useRef(null);
  const heading = useRef(null);
  const olderButton = useRef(null);
  // Chosen from the inbox or the contact panel: focus on the heading, a Tab or two from the reply box.
  useLayoutEffect(() => {
    if (opened) heading.current?.focus();
  }, [opened]);

  const olderCursor = earlier.opened ? earlier.cursor : newestCursor;
  // The distance from the list's end to keep when older messages go in above: what was in view stays.
  const keepFromEnd = useRef(undefined);
  const showOlder = async () => {
    const cursor = olderCursor;
    if (!cursor || readingOlder.current) return;
    readingOlder.current = true;
    if (!earlierOpened.current) {
      earlierOpened.current = true;
      setEarlier({ opened: true, items: [], cursor });
    }
    setOlderRead({ reading: true, notice: '' });
    try {
      const page = await readUnlessGone('timeline', id, cursor);
      if (page === GONE) {
        onGone();
        return;
      }
      const list = timeline.current;
      if (list) keepFromEnd.current = list.scrollHeight - list.scrollTop;
      setEarlier((known) => ({
        opened: true,
        cursor: page.previousCursor,
        items: once([...page.items, ...known.items]),
      }));
      const count = page.items.length;
      const start = page.previousCursor ? '' : ' The conversation starts there.';
      setOlderRead({
        reading: false,
        notice:
          count === 0
            ? 'No older messages.'
            : `${count} older message${count === 1 ? '' : 's'} shown above.${start}`,
      });
      // The button goes once the start is reached: focus stays in the timeline, not on the page's top.
      if (!page.previousCursor && olderButton.current && heldFocus(olderButton.current)) list?.focus();
    } catch (failure) {
      setOlderRead({ reading: false, notice: `Could not read older messages: ${failure.message}` });
    } finally {
      readingOlder.current = false;
    }
  };
  useLayoutEffect(() => {
    const list = timeline.current;
    if (keepFromEnd.current === undefined || !list) return;
    list.scrollTop = list.scrollHeight - keepFromEnd.current;
    keepFromEnd.current = undefined;
  }, [earlier.items]);

  const shown = pending.filter((entry) => !items.some((item) => item.hubMessageId === entry.hubMessageId));
  const earlierShown = earlier.items.filter(
    (item) => !items.some((known) => known.hubMessageId === item.hubMessageId),
  );
  // A new newest message comes into view when the timeline was at (or near) its end; one read
  // further up stays where it is. Until 2026-12-06 this followed the count of messages, which stays
  // at 50 once the newest page is full, so a new message landed out of view; found by a review.
  const atEnd = useRef(true);
  const noteScroll = (event) => {
    const list = event.currentTarget;
    atEnd.current = list.scrollHeight - list.scrollTop - list.clientHeight <= NEAR_BOTTOM_PX;
  };
  const lastId = (shown.at(-1) ?? items.at(-1))?.hubMessageId;
  useLayoutEffect(() => {
    const list = timeline.current;
    if (lastId && list && atEnd.current) list.scrollTop = list.scrollHeight;
  }, [lastId, loaded]);
  const messageItem = (item) =>
    html`<${MessageItem} key=${item.hubMessageId} item=${item} conversation=${conversation} reveal=${reveal} />`;
  return html`<section class="conversation" aria-labelledby="conversation-title">
    <header class="conversation-header">
      <h2 id="conversation-title" tabindex="-1" ref=${heading}>
        ${CHANNEL_NAMES[conversation.channel] ?? conversation.channel} · ${contactLabel(conversation.contact, reveal)}
      </h2>
      <p>${conversation.status} · ${waitingLabel(conversation, now)} · ${windowLabel(conversation, now)}</p>
      <a
        class="skip-link"
        href="#reply-text"
        onClick=${(event) => {
          event.preventDefault();
          document.getElementById('reply-text')?.focus();
        }}
      >Skip to the reply box</a>
    </header>
    <${ContactPanel} conversation=${conversation} reveal=${reveal} mask=${mask} channelNames=${CHANNEL_NAMES} onOpen=${onOpen} />
    ${error ? html`<p class="failure" role="alert">Could not read the messages: ${error}</p>` : null}
    ${
      loaded
        ? html`<div class="timeline" role="log" aria-label="Messages" tabindex="0" ref=${timeline} onScroll=${noteScroll}>
            <div class="earlier" aria-live="off">
              <p class="older-messages">
                ${
                  olderCursor
                    ? html`<button type="button" class="link-button" ref=${olderButton} onClick=${showOlder}>
                        ${olderRead.reading ? 'Reading older messages…' : 'Show older messages'}
                      </button>`
                    : null
                }${' '}<span class="notice" role="status">${olderRead.notice}</span>
              </p>
              ${earlierShown.length > 0 ? html`<ol class="message-list" aria-label="Older messages">${earlierShown.map(messageItem)}</ol>` : null}
            </div>
            <ol class="message-list">
              ${items.map(messageItem)}
              ${shown.map((entry) => html`<${PendingItem} key=${entry.hubMessageId} pending=${entry} channel=${conversation.channel} />`)}
            </ol>
          </div>`
        : html`<p class="loading">Reading the messages…</p>`
    }
    <${ReplyBox}
      conversation=${conversation}
      onAccepted=${(entry) => {
        // One's own reply comes into view wherever the timeline was.
        atEnd.current = true;
        setPending((list) =>
          list.some((known) => known.hubMessageId === entry.hubMessageId) ? list : [...list, entry],
        );
      }}
    />
    <${RawEvents} conversationId=${id} reveal=${reveal} />
  </section>`;
}

function ActAsCustomer() {
  const [channel, setChannel] = useState('whatsapp');
  const [from, setFrom] = useState(DEFAULT_SENDERS.whatsapp);
  const [kind, setKind] = useState('text');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  // Disabled while it posts, and after a text is sent until the next is typed: focus goes to the text box.
  const box = useRef(null);
  const send = useRef(null);
  useKeptFocus(send, busy, () => box.current);
  const choose = (next) => {
    setChannel(next);
    setFrom(DEFAULT_SENDERS[next]);
    if (next === 'email') setKind('text');
  };
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setNotice('');
    try {
      await call('/_local/console/customer-message', { method: 'POST', body: { channel, from, kind, text } });
      setNotice(`Posted to the ${CHANNEL_NAMES[channel]} webhook, signed as the provider would.`);
      setText('');
    } catch (error) {
      const fields = (error.body?.errors ?? []).map((issue) => `${issue.field}: ${issue.message}`);
      setNotice(`Not posted: ${fields.length > 0 ? fields.join('; ') : notPostedWords(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="customer" aria-labelledby="customer-title">
    <h2 id="customer-title">Act as the customer</h2>
    <form onSubmit=${submit}>
      <label for="customer-channel">Channel</label>
      <select id="customer-channel" value=${channel} onChange=${(event) => choose(event.currentTarget.value)}>
        ${CUSTOMER_CHANNELS.map((name) => html`<option key=${name} value=${name}>${CHANNEL_NAMES[name]}</option>`)}
      </select>
      <label for="customer-from">From (${SENDER_HINTS[channel]})</label>
      <input id="customer-from" value=${from} autocomplete="off" onInput=${(event) => setFrom(event.currentTarget.value)} />
      <label for="customer-kind">What</label>
      <select id="customer-kind" value=${kind} onChange=${(event) => setKind(event.currentTarget.value)}>
        <option value="text">Text</option>
        ${channel === 'email' ? null : html`<option value="media">${MEDIA_WORDS[channel]}</option>`}
      </select>
      <label for="customer-text">${kind === 'media' ? 'Caption or text (optional)' : 'Message'}</label>
      <textarea id="customer-text" rows="3" dir="auto" ref=${box} value=${text} onInput=${(event) => setText(event.currentTarget.value)}></textarea>
      <button type="submit" ref=${send} disabled=${busy || (kind === 'text' && !text.trim())}>Send as the customer</button>
      <p class="notice" role="status">${notice}</p>
    </form>
  </section>`;
}

/**
 * What the header says while the hub cannot answer (api.js's hubNotAnswering), by the inbox's last
 * failed read: no error, the page reads again every 5 s.
 */
const waitingText = (error) =>
  error.status === 503
    ? 'Hub starting… retrying every 5 s'
    : 'Reconnecting to the hub… no answer, retrying every 5 s';

/** What the header says of the live stream (live.js): up, closed while the tab is hidden, or down. */
const streamLabel = (stream) => (stream.live ? 'live' : stream.hidden ? 'hidden' : 'down');
const STREAM_TEXTS = {
  live: 'Live (server-sent events)',
  hidden: 'Polling while the tab is in the background (live again once it is shown)',
  down: 'Polling every 5 s (event stream down)',
};

function App() {
  // The inbox's list, `more` when the API holds more than the `budget` conversations it was read to.
  const [list, setList] = useState({ conversations: [], more: false, budget: READ_STEP });
  const { conversations } = list;
  const [selectedId, setSelectedId] = useState(null);
  const [reveal, setReveal] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [health, setHealth] = useState({ ok: true, at: null });
  // Replies the API accepted that are no message yet, by conversation: queued, sending or refused.
  const [pendingByConversation, setPendingByConversation] = useState({});

  const [stream, setStream] = useState({ live: false, hidden: false, events: 0 });
  useEffect(() => {
    const stop = startLiveStream();
    const off = onStreamState(setStream);
    return () => {
      off();
      stop();
    };
  }, []);
  const [filters, setFilters] = useState(DEFAULT_FILTERS);
  // How many conversations the inbox reads: READ_STEP more at each "Read more", back to one step for new filters.
  const [budget, setBudget] = useState(READ_STEP);
  const chooseFilters = (next) => {
    setFilters(next);
    setBudget(READ_STEP);
  };
  const listPath = inboxPath(filters);
  useLiveTask(
    async (stopped) => {
      try {
        const read = await readInbox(filters, budget, stopped);
        if (!read) return;
        setList({ conversations: read.items, more: read.more, budget, hidden: read.hidden });
        setHealth({ ok: true, at: new Date() });
      } catch (error) {
        if (stopped()) return;
        if (hubNotAnswering(error)) {
          setHealth({ ok: false, waiting: true, at: new Date(), message: waitingText(error) });
          return RETRY_SOON;
        }
        setHealth({ ok: false, at: new Date(), message: `Hub unreachable: ${error.message}` });
      }
    },
    [listPath, filters.unread, budget],
    concernsInbox,
  );
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  // The open conversation stays open when a filter leaves it out of the list.
  const lastSelected = useRef(undefined);
  // Set when the open conversation turned out to be gone (its person erased), until another is chosen.
  const [gone, setGone] = useState(false);
  const listed = conversations.find((conversation) => conversation.conversationId === selectedId);
  if (listed) lastSelected.current = listed;
  const selected =
    listed ?? (lastSelected.current?.conversationId === selectedId ? lastSelected.current : undefined);
  // Counts the choices of a conversation: each moves focus to its heading (Conversation's `opened`).
  const [opened, setOpened] = useState(0);
  const select = (conversationId) => {
    setGone(false);
    setSelectedId(conversationId);
    setOpened((count) => count + 1);
  };
  // A conversation the list does not hold (another of the contact's) opens all the same.
  const openConversation = (conversation) => {
    lastSelected.current = conversation;
    select(conversation.conversationId);
  };
  // An erased person's conversation: the page keeps no copy of it (the contact in its header) and
  // no reply of it, and shows none.
  const forget = (conversationId) => {
    if (lastSelected.current?.conversationId === conversationId) lastSelected.current = undefined;
    setPendingByConversation(({ [conversationId]: _dropped, ...others }) => others);
    sendAttempts.delete(conversationId);
    setSelectedId((current) => (current === conversationId ? null : current));
    setGone(true);
  };
  // The hub's state is news in live regions that are on the page from the start, empty while all is
  // well (a region created with its text is often not announced): polite while the hub starts or
  // reconnects, an alert for other failures.
  return html`<div class="layout">
    <header class="top">
      <h1>Switchboard local console</h1>
      <p class=${health.ok ? 'live' : health.waiting ? 'live waiting' : 'live down'} data-stream=${streamLabel(stream)} data-events=${stream.events}>
        ${health.ok ? `${STREAM_TEXTS[streamLabel(stream)]} · updated ${health.at ? health.at.toLocaleTimeString() : '…'}` : null}
        <span class="hub-status" role="status">${!health.ok && health.waiting ? health.message : ''}</span>
        <span class="hub-status" role="alert">${!health.ok && !health.waiting ? health.message : ''}</span>
      </p>
      <label class="reveal"><input type="checkbox" checked=${reveal} onChange=${(event) => setReveal(event.currentTarget.checked)} /> Reveal contacts</label>
    </header>
    <main class="panes">
      <div class="side">
        <${Inbox} list=${list} selectedId=${selectedId} onSelect=${select} reveal=${reveal} now=${now} filters=${filters} onFilters=${chooseFilters} onMore=${() => setBudget((read) => read + READ_STEP)} />
        <${ActAsCustomer} />
        <${ReplaySample} channelNames=${CHANNEL_NAMES} />
      </div>
      ${
        selected
          ? html`<${Conversation}
              key=${selected.conversationId}
              conversation=${selected}
              reveal=${reveal}
              now=${now}
              pending=${pendingByConversation[selected.conversationId] ?? []}
              onOpen=${openConversation}
              onGone=${() => forget(selected.conversationId)}
              opened=${opened}
              setPending=${(update) =>
                setPendingByConversation((all) => ({
                  ...all,
                  [selected.conversationId]: update(all[selected.conversationId] ?? []),
                }))}
            />`
          : html`<section class="conversation empty">
              ${gone ? html`<p class="failure" role="alert">The conversation that was open no longer exists (its person was erased).</p>` : null}
              <p>Choose a conversation in the inbox.</p>
            </section>`
      }
    </main>
    <${Hood} />
  </div>`;
}

// The page's "Loading the console…" placeholder goes: Preact renders beside what it did not create.
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
