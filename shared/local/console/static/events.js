// Under the hood: the raw CloudEvents of the selected conversation, as the hub published them to the
// helpdesk queue (the hub's tap, GET /_local/console/raw-events/{id}), newest first, each collapsible.
import htm from 'htm';
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { call, hubNotAnswering } from './api.js';
import { concernsConversation, RETRY_SOON, useLiveTask } from './live.js';
import { maskedEvent } from './masking.js';
import { Time } from './timeline.js';

const html = htm.bind(h);

/** The event as published; while contacts are not revealed, masked as the rest of the page is. */
function shownEvent(event, reveal) {
  return reveal ? event : maskedEvent(event);
}

function RawEvent({ item, reveal }) {
  const { event } = item;
  return html`<li class="raw-event" data-event-type=${event.type}>
    <details>
      <summary>
        <span class="raw-event-type">${event.type.replace(/^switchboard\./, '')}</span>
        <span class="raw-event-time"><${Time} value=${item.tappedAt} /></span>
      </summary>
      <pre class="raw-event-json">${JSON.stringify(shownEvent(event, reveal), null, 2)}</pre>
    </details>
  </li>`;
}

export function RawEvents({ conversationId, reveal }) {
  const [items, setItems] = useState([]);
  const [error, setError] = useState('');
  useLiveTask(
    async (stopped) => {
      try {
        const page = await call(`/_local/console/raw-events/${conversationId}`);
        if (stopped()) return;
        setItems(page.items);
        setError('');
      } catch (failure) {
        if (stopped()) return;
        // The hub not answering: the header says so; what was read stays until it answers.
        if (hubNotAnswering(failure)) return RETRY_SOON;
        setError(failure.message);
      }
    },
    [conversationId],
    (event) => concernsConversation(event, conversationId),
  );
  return html`<section class="raw-events" aria-labelledby="raw-events-title">
    <details>
      <summary><h3 id="raw-events-title">Raw CloudEvents (${items.length})</h3></summary>
      <p class="hint">What the hub published to the helpdesk queue for this conversation since it started, newest first.</p>
      ${error ? html`<p class="failure" role="alert">Could not read the events: ${error}</p>` : null}
      ${
        items.length === 0
          ? html`<p class="empty">None held (the hub keeps the last 500 events it published).</p>`
          : html`<ol class="raw-event-list">
              ${items.map((item) => html`<${RawEvent} key=${item.seq} item=${item} reveal=${reveal} />`)}
            </ol>`
      }
    </details>
  </section>`;
}
