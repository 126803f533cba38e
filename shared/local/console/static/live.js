// Live updates: the hub's event stream (GET /_local/console/events, text/event-stream) read with
// fetch() so the token travels in the Authorization header (api.js's) like every other console
// request (EventSource cannot send headers). Each event names its conversation and contact; components
// refetch what an event concerns from /v1. While the stream is down, they poll slowly instead.
//
// Only a tab on screen holds a stream. Each open stream keeps one HTTP/1.1 connection busy for good,
// and a browser opens at most 6 to one host:port, shared by all its tabs: with six console tabs each
// holding one, every other request (any tab's reads, a reply's POST, a seventh tab) waited for ever
// while the header still said "Live". A hidden tab (another tab in front, a minimized window, a tab
// restored in the background) closes its stream and polls like a tab whose stream is down; shown
// again, it reopens it at once, gets what it missed (Last-Event-ID) and refetches. Chosen over one
// stream shared by all tabs (a Web Lock leader relaying over a BroadcastChannel): a few lines rather
// than an election, a relay and a hand-over, and it is background tabs that pile up. Six console
// windows all on screen at once would still use up the connections.
import { useEffect } from 'preact/hooks';
import { authorization } from './api.js';

const RETRY_MS = 2000;
const MAX_RETRY_MS = 15_000;
/**
 * While the stream is down: how often components poll instead; and how soon a read the hub did not
 * answer (api.js's hubNotAnswering) is tried again, by any panel (the header says "every 5 s").
 */
export const FALLBACK_POLL_MS = 5000;
/** While it is up: a rare check all the same (nothing the page shows should drift for long). */
const LIVE_POLL_MS = 60_000;

/**
 * What a live task returns when the hub did not answer for now (api.js's hubNotAnswering: starting,
 * or no answer): it runs again at the fallback pace, not after the live stream's minute.
 */
export const RETRY_SOON = Symbol('retry soon');

const eventListeners = new Set();
const stateListeners = new Set();
/** `hidden`: the tab is in the background and holds no stream on purpose (it polls meanwhile). */
let streamState = { live: false, hidden: false, events: 0 };

function setState(next) {
  streamState = { ...streamState, ...next };
  for (const listener of stateListeners) listener(streamState);
}

/** Calls `listener` with every hub event (and `{ resync: true }` when the stream comes back). */
export function onHubEvent(listener) {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

/** Calls `listener` with `{ live, hidden, events }` whenever the stream goes up or down or brings an event. */
export function onStreamState(listener) {
  stateListeners.add(listener);
  listener(streamState);
  return () => stateListeners.delete(listener);
}

function emit(event) {
  for (const listener of eventListeners) listener(event);
}

/** The fields of one server-sent event block (`id:`, `event:`, `data:` lines; `:` lines are comments). */
function parseBlock(block) {
  const fields = { data: [] };
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') fields.data.push(value);
    else fields[name] = value;
  }
  return fields;
}

const pageHidden = () => document.visibilityState === 'hidden';

/**
 * How long a stream answered 503 waits: the hub still loads its functions and says when to try again
 * (Retry-After, seconds), which is soon; never longer than the polls' fallback pace.
 */
function startingWait(retryAfter) {
  const seconds = Number(retryAfter);
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(seconds * 1000, FALLBACK_POLL_MS)
    : FALLBACK_POLL_MS;
}

/**
 * Keeps the stream open while the tab is shown (reconnecting with Last-Event-ID), closed while it is
 * hidden (see above); returns the stop.
 */
export function startLiveStream() {
  let stopped = false;
  let connecting = false;
  /** The open stream was closed because the tab went into the background (not because it failed). */
  let closedForHiding = false;
  let lastId = '';
  let retryMs = RETRY_MS;
  let controller;
  let timer;
  const connect = async () => {
    if (stopped || connecting) return;
    clearTimeout(timer);
    if (pageHidden()) {
      setState({ live: false, hidden: true });
      return;
    }
    connecting = true;
    controller = new AbortController();
    /** Set when the hub said it cannot answer yet (503): when to try again, without backing off. */
    let startingWaitMs;
    try {
      const response = await fetch('/_local/console/events', {
        headers: {
          ...authorization(),
          accept: 'text/event-stream',
          ...(lastId ? { 'last-event-id': lastId } : {}),
        },
        signal: controller.signal,
      });
      if (response.status === 503) startingWaitMs = startingWait(response.headers.get('retry-after'));
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let announced = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const fields = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (!announced) {
            // The first block (a comment) says the stream is up: refetch what may have changed meanwhile.
            announced = true;
            retryMs = RETRY_MS;
            setState({ live: true, hidden: false });
            emit({ resync: true });
          }
          if (fields.id) lastId = fields.id;
          if (fields.event === 'hub-event' && fields.data.length > 0) {
            setState({ events: streamState.events + 1 });
            emit(JSON.parse(fields.data.join('\n')));
          }
        }
      }
    } catch {
      // Down (hub stopped, the page is going, or hidden): the components poll until it is back.
    }
    connecting = false;
    const shownAgain = closedForHiding;
    closedForHiding = false;
    if (stopped) return;
    if (pageHidden()) {
      setState({ live: false, hidden: true });
      return;
    }
    setState({ live: false, hidden: false });
    // Shown again while it was closing: back at once, nothing failed.
    if (shownAgain) return connect();
    if (startingWaitMs !== undefined) {
      timer = setTimeout(connect, startingWaitMs);
      return;
    }
    timer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };
  const onVisibility = () => {
    if (pageHidden()) {
      // Frees the connection now (or the place in the browser's queue of a stream still opening).
      clearTimeout(timer);
      if (connecting) {
        closedForHiding = true;
        controller?.abort();
      }
      setState({ live: false, hidden: true });
      return;
    }
    // Shown: back at once (a stream still closing reconnects as it ends).
    retryMs = RETRY_MS;
    connect();
  };
  document.addEventListener('visibilitychange', onVisibility);
  connect();
  return () => {
    stopped = true;
    document.removeEventListener('visibilitychange', onVisibility);
    clearTimeout(timer);
    controller?.abort();
  };
}

/** An erasure names the person only: whatever a component shows of theirs is to be read again. */
const ERASED = 'switchboard.contact.erased';

/** Whether a hub event may change what the page shows of one conversation (its own, a merge's, an erasure). */
export function concernsConversation(event, conversationId) {
  return (
    event.conversationId === conversationId ||
    (event.conversationIds ?? []).includes(conversationId) ||
    event.type === ERASED
  );
}

/** Whether a hub event may change the inbox: any conversation's, a person's (an erasure), a merge's. */
export function concernsInbox(event) {
  return (
    event.conversationId !== undefined || event.contactId !== undefined || event.conversationIds !== undefined
  );
}

/**
 * Runs `task` now, again whenever a hub event `matches`, and on a slow poll (faster while the stream
 * is down, or when the task returned RETRY_SOON). Runs never overlap: events during a run make one
 * more run.
 */
export function useLiveTask(task, deps, matches = () => true) {
  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let timer;
    const run = async () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      clearTimeout(timer);
      let outcome;
      do {
        again = false;
        outcome = await task(() => stopped);
      } while (again && !stopped);
      running = false;
      const slow = streamState.live && outcome !== RETRY_SOON;
      if (!stopped) timer = setTimeout(run, slow ? LIVE_POLL_MS : FALLBACK_POLL_MS);
    };
    run();
    const off = onHubEvent((event) => {
      if (event.resync || matches(event)) run();
    });
    // A stream that drops leaves a slow timer: poll at the fallback pace from now on.
    let wasLive = streamState.live;
    const offState = onStreamState((state) => {
      if (wasLive && !state.live) run();
      wasLive = state.live;
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      off();
      offState();
    };
  }, deps);
}
