// "Under the hood": every queue's depth, the dead-letter queues' messages with a Redrive button, and
// the provider simulators' fault switches. It reads /_local/console/hood every second (queue depths
// move without an event on the helpdesk stream, so this panel polls) through api.js like the rest of
// the page. While the hub starts or does not answer, it keeps what it last read and reads again at the
// other panels' pace (live.js), without an alert: the header says the hub is starting.
import htm from 'htm';
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, hubNotAnswering } from './api.js';
import { useKeptFocus } from './focus.js';
import { FALLBACK_POLL_MS, RETRY_SOON } from './live.js';

const html = htm.bind(h);

const POLL_MS = 1000;

/**
 * Runs `task` now and again POLL_MS after each run ends (FALLBACK_POLL_MS after a run that returned
 * RETRY_SOON: the hub cannot answer yet), until the component goes.
 */
function usePoll(task, deps) {
  useEffect(() => {
    let stopped = false;
    let timer;
    const run = async () => {
      const outcome = await task(() => stopped);
      if (!stopped) timer = setTimeout(run, outcome === RETRY_SOON ? FALLBACK_POLL_MS : POLL_MS);
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}

const QUEUE_ROLES = {
  ingest: 'webhooks → recorder',
  helpdesk: 'recorder → helpdesk',
  outbox: 'helpdesk → sender',
  media: 'recorder → media fetcher',
};
const TIMES = [
  ['1', 'the next send'],
  ['3', 'the next 3 sends'],
  ['', 'every send, until cleared'],
];

function age(seconds) {
  if (seconds === undefined) return 'age unknown';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

function Depths({ depths }) {
  return html`<td class="depth">${depths.visible}</td>
    <td class="depth">${depths.inFlight}</td>
    <td class="depth">${depths.delayed}</td>`;
}

function QueueTable({ queues }) {
  return html`<table class="queues">
    <caption>Queue depths</caption>
    <thead>
      <tr><th scope="col">Queue</th><th scope="col">Visible</th><th scope="col">In flight</th><th scope="col">Delayed</th></tr>
    </thead>
    <tbody>
      ${queues.flatMap((queue) => [
        html`<tr key=${queue.name} data-queue=${queue.queue}>
          <th scope="row">${queue.queue} <span class="role">${QUEUE_ROLES[queue.queue] ?? ''}</span></th>
          <${Depths} depths=${queue.depths} />
        </tr>`,
        html`<tr key=${queue.dlq.name} data-dlq=${queue.queue} class="dlq-row">
          <th scope="row">${queue.queue} DLQ</th>
          <${Depths} depths=${queue.dlq.depths} />
        </tr>`,
      ])}
    </tbody>
  </table>`;
}

function DeadLetters({ queue }) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const count = queue.dlq.depths.visible + queue.dlq.depths.inFlight + queue.dlq.depths.delayed;
  // Disabled while it runs, and for good once the queue is empty: focus then goes to the section,
  // where the notice says what the redrive did.
  const button = useRef(null);
  const section = useRef(null);
  useKeptFocus(button, busy, () => section.current);
  const redrive = async () => {
    setBusy(true);
    setNotice('');
    try {
      const counts = await call(`/_local/console/redrive/${queue.queue}`, { method: 'POST', body: {} });
      setNotice(
        `Redriven to ${queue.name}: ${counts.resent} of ${counts.received} re-sent${counts.failed > 0 ? `, ${counts.failed} refused` : ''}.`,
      );
    } catch (error) {
      setNotice(`Redrive failed: ${error.message}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="dead-letters" data-dead-letters=${queue.queue} aria-label=${`${queue.queue} dead-letter queue`} tabindex="-1" ref=${section}>
    <h4>${queue.dlq.name}: <span class="count">${count}</span> message${count === 1 ? '' : 's'}</h4>
    ${
      queue.dlq.messages.length > 0
        ? html`<ul class="dead-letter-list">
            ${queue.dlq.messages.map(
              (
                message,
              ) => html`<li key=${message.messageId} class="dead-letter" data-dead-letter=${message.messageId}>
                <span class="type">${message.type}</span> · <span class="reason">${message.reason}</span>${' · '}<span class="age">${age(message.ageSeconds)}</span>
              </li>`,
            )}
          </ul>`
        : null
    }
    <button type="button" data-redrive=${queue.queue} ref=${button} disabled=${busy || count === 0} onClick=${redrive}>
      Redrive to ${queue.queue}
    </button>
    <p class="notice" role="status">${notice}</p>
  </section>`;
}

function ProviderFaults({ entry }) {
  const [chosen, setChosen] = useState(entry.switches[0]?.id ?? '');
  const [times, setTimes] = useState('1');
  const [notice, setNotice] = useState('');
  // Each press arms one more fault: the button is disabled while its request runs, and the ref stops
  // a second press that comes before the page re-renders (two clicks in one task).
  const [arming, setArming] = useState(false);
  const armingNow = useRef(false);
  // Arm is disabled while its request runs (focus comes back to it); Clear once nothing is armed
  // (focus goes to Arm).
  const armButton = useRef(null);
  const clearButton = useRef(null);
  useKeptFocus(armButton, arming, () => armButton.current);
  useKeptFocus(clearButton, false, () => armButton.current);
  const arm = async (event) => {
    event.preventDefault();
    if (armingNow.current) return;
    armingNow.current = true;
    setArming(true);
    setNotice('');
    try {
      await call('/_local/console/faults', {
        method: 'POST',
        body: { switch: chosen, ...(times ? { times: Number(times) } : {}) },
      });
    } catch (error) {
      setNotice(`Not armed: ${error.message}`);
    } finally {
      armingNow.current = false;
      setArming(false);
    }
  };
  const clear = async () => {
    setNotice('');
    try {
      await call(`/_local/console/faults/${entry.provider}`, { method: 'DELETE' });
    } catch (error) {
      setNotice(`Not cleared: ${error.message}`);
    }
  };
  const id = `fault-${entry.provider}`;
  // Every provider's controls read alike ("Fault", "For", "Arm", "Clear"): their names say whose.
  const whose = `${entry.provider}: ${entry.channels}`;
  return html`<form class="provider-faults" data-provider=${entry.provider} onSubmit=${arm}>
    <h4>${entry.channels} <span class="provider">(${entry.provider})</span></h4>
    <label for=${id}>Fault</label>
    <select id=${id} class="fault-switch" aria-label=${`Fault for ${whose}`} value=${chosen} onChange=${(event) => setChosen(event.currentTarget.value)}>
      ${entry.switches.map((option) => html`<option key=${option.id} value=${option.id}>${option.label}</option>`)}
    </select>
    <label for=${`${id}-times`}>For</label>
    <select id=${`${id}-times`} class="fault-times" aria-label=${`For how many ${entry.provider} sends`} value=${times} onChange=${(event) => setTimes(event.currentTarget.value)}>
      ${TIMES.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
    </select>
    <button type="submit" class="arm" ref=${armButton} aria-label=${arming ? undefined : `Arm the ${entry.provider} fault`} disabled=${arming}>${arming ? 'Arming…' : 'Arm'}</button>
    <ul class="armed" aria-label=${`Armed ${entry.provider} faults`}>
      ${entry.armed.map(
        (armed, index) => html`<li key=${index} data-armed=${armed.switch ?? armed.label}>
          ${armed.label}${armed.scope ? ` (${armed.scope})` : ''}: ${armed.remaining === undefined ? 'until cleared' : `${armed.remaining} more`}
        </li>`,
      )}
    </ul>
    <button type="button" class="clear" ref=${clearButton} aria-label=${`Clear the ${entry.provider} faults`} disabled=${entry.armed.length === 0} onClick=${clear}>Clear</button>
    <p class="notice" role="status">${notice}</p>
  </form>`;
}

export function Hood() {
  const [view, setView] = useState(undefined);
  const [error, setError] = useState('');
  usePoll(async (stopped) => {
    try {
      const next = await call('/_local/console/hood');
      if (stopped()) return;
      setView(next);
      setError('');
    } catch (failure) {
      if (stopped()) return;
      if (hubNotAnswering(failure)) return RETRY_SOON;
      setError(failure.message);
    }
  }, []);
  return html`<section class="hood" aria-labelledby="hood-title">
    <h2 id="hood-title">Under the hood</h2>
    ${error ? html`<p class="failure" role="alert">Could not read the queues: ${error}</p>` : null}
    ${
      view
        ? html`<div class="hood-panes">
            <div class="hood-queues">
              <${QueueTable} queues=${view.queues} />
              <h3>Dead-letter queues</h3>
              ${view.queues.map((queue) => html`<${DeadLetters} key=${queue.queue} queue=${queue} />`)}
            </div>
            <div class="hood-faults">
              <h3>Provider fault switches</h3>
              ${
                view.simulators
                  ? view.simulators.map(
                      (entry) => html`<${ProviderFaults} key=${entry.provider} entry=${entry} />`,
                    )
                  : html`<p class="empty">This hub runs without the provider simulators.</p>`
              }
            </div>
          </div>`
        : html`<p class="loading">Reading the queues…</p>`
    }
  </section>`;
}
