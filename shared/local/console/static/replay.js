// Replay a sample of events/ (GET /_local/console/samples), signed as its provider would and posted
// unchanged to the hub's webhook (POST /_local/console/replay). The list is read once; while the hub
// starts or does not answer, it is asked again at the other panels' pace (live.js), without a notice.
import htm from 'htm';
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, hubNotAnswering } from './api.js';
import { useKeptFocus } from './focus.js';
import { FALLBACK_POLL_MS } from './live.js';

const html = htm.bind(h);

export function ReplaySample({ channelNames }) {
  const [samples, setSamples] = useState([]);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  // Disabled while the replay runs: focus comes back to it after, for the next replay.
  const button = useRef(null);
  const choice = useRef(null);
  useKeptFocus(button, busy, () => choice.current);
  useEffect(() => {
    let stopped = false;
    let timer;
    const list = async () => {
      try {
        const page = await call('/_local/console/samples');
        if (stopped) return;
        setSamples(page.items);
        setName(page.items[0]?.name ?? '');
      } catch (error) {
        if (stopped) return;
        if (hubNotAnswering(error)) timer = setTimeout(list, FALLBACK_POLL_MS);
        else setNotice(`Could not list the samples: ${error.message}`);
      }
    };
    list();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  const channels = [...new Set(samples.map((sample) => sample.channel))];
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setNotice('');
    try {
      const answer = await call('/_local/console/replay', { method: 'POST', body: { name } });
      setNotice(`Replayed ${name}: the webhook answered ${answer.webhookStatus}.`);
    } catch (error) {
      // The hub answers 502 with the webhook's status (and its reason, when it gave one) when the
      // webhook refused the sample; any other refusal is the replay route's own (a sample gone from events/).
      setNotice(
        error instanceof ApiError && error.body?.webhookStatus !== undefined
          ? `Not replayed: the webhook answered ${error.body.webhookStatus}${
              error.body.webhookError ? ` (${error.body.webhookError})` : ''
            }.`
          : `Not replayed: ${error.message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="replay" aria-labelledby="replay-title">
    <h2 id="replay-title">Replay a sample</h2>
    <form onSubmit=${submit}>
      <label for="replay-sample">Sample from events/</label>
      <select id="replay-sample" ref=${choice} value=${name} onChange=${(event) => setName(event.currentTarget.value)}>
        ${channels.map(
          (channel) => html`<optgroup key=${channel} label=${channelNames[channel] ?? channel}>
            ${samples
              .filter((sample) => sample.channel === channel)
              .map((sample) => html`<option key=${sample.name} value=${sample.name}>${sample.name}</option>`)}
          </optgroup>`,
        )}
      </select>
      <button type="submit" ref=${button} disabled=${busy || !name}>Replay through the signed webhook</button>
      <p class="notice" role="status">${notice}</p>
    </form>
  </section>`;
}
