// Replay a sample of events/ (GET /_local/console/samples), signed as its provider would and posted
// unchanged to the hub's webhook (POST /_local/console/replay).
import htm from 'htm';
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const html = htm.bind(h);

export function ReplaySample({ token, channelNames }) {
  const [samples, setSamples] = useState([]);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');
  const headers = { authorization: `Bearer ${token}` };
  useEffect(() => {
    fetch('/_local/console/samples', { headers: { ...headers, 'x-switchboard-console': 'poll' } })
      .then((response) => response.json())
      .then((page) => {
        setSamples(page.items);
        setName(page.items[0]?.name ?? '');
      })
      .catch((error) => setNotice(`Could not list the samples: ${error.message}`));
  }, []);
  const channels = [...new Set(samples.map((sample) => sample.channel))];
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setNotice('');
    try {
      const response = await fetch('/_local/console/replay', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      const answer = await response.json();
      setNotice(
        response.ok
          ? `Replayed ${name}: the webhook answered ${answer.webhookStatus}.`
          : `Not replayed: the webhook answered ${answer.webhookStatus ?? response.status}.`,
      );
    } catch (error) {
      setNotice(`Not replayed: ${error.message}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="replay" aria-labelledby="replay-title">
    <h2 id="replay-title">Replay a sample</h2>
    <form onSubmit=${submit}>
      <label for="replay-sample">Sample from events/</label>
      <select id="replay-sample" value=${name} onChange=${(event) => setName(event.currentTarget.value)}>
        ${channels.map(
          (channel) => html`<optgroup key=${channel} label=${channelNames[channel] ?? channel}>
            ${samples
              .filter((sample) => sample.channel === channel)
              .map((sample) => html`<option key=${sample.name} value=${sample.name}>${sample.name}</option>`)}
          </optgroup>`,
        )}
      </select>
      <button type="submit" disabled=${busy || !name}>Replay through the signed webhook</button>
      <p class="notice" role="status">${notice}</p>
    </form>
  </section>`;
}
