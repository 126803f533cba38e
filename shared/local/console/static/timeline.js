// The parts of a message as a person would see them (text, files, locations, chosen buttons, shared
// contacts, orders…), and what happened to the message since (reactions, an edit, a deletion), from
// the `live` state GET /v1/conversations/{id}/messages returns with each message.
import htm from 'htm';
import { h } from 'preact';
import { shownNotice } from './masking.js';

const html = htm.bind(h);

const REPLY_KINDS = {
  button: 'Tapped',
  list: 'Chose from the list',
  quick_reply: 'Tapped',
  postback: 'Tapped',
  flow: 'Submitted the form',
};

/** 48213 → "47 KB". */
export function byteSize(bytes) {
  if (typeof bytes !== 'number') return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The browser's short name of its time zone ("UTC", "CET", "GMT+2"…), on every time shown. */
const WITH_ZONE = { timeZoneName: 'short' };

/**
 * When something happened, as a person reads it: the time alone today, the date and time on any
 * other day (a customer's message from last week is no message from this morning), with the time
 * zone, since the hub's times are UTC and the page shows them in the browser's zone (until
 * 2026-12-06 without saying which; found by a review).
 */
export function when(value, now = new Date()) {
  if (!value) return '';
  const at = new Date(value);
  return at.toDateString() === now.toDateString()
    ? at.toLocaleTimeString(undefined, WITH_ZONE)
    : at.toLocaleString(undefined, WITH_ZONE);
}

/** "2026-12-05 08:30:00 UTC": the same time in UTC, as the API and the events give it. */
export function utc(value) {
  return new Date(value)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** A time as `when` words it, in a <time> element with its machine-readable value and UTC as its title. */
export function Time({ value }) {
  if (!value) return null;
  if (Number.isNaN(Date.parse(value))) return html`<time>${value}</time>`;
  return html`<time datetime=${new Date(value).toISOString()} title=${utc(value)}>${when(value)}</time>`;
}

/** Only web addresses become links: a customer's `javascript:` or `data:` URL stays text. */
function isWebUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url);
}

function mapLink(part) {
  if (isWebUrl(part.url)) return part.url;
  const { latitude: lat, longitude: lon } = part;
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
}

function Location({ part }) {
  const coordinates = `${part.latitude.toFixed(5)}, ${part.longitude.toFixed(5)}`;
  return html`<div class="part-location" data-part="location">
    <p><span aria-hidden="true">📍 </span><strong>${part.name ?? 'Location'}</strong></p>
    ${part.address ? html`<p dir="auto">${part.address}</p>` : null}
    <p class="coordinates">${coordinates}</p>
    <a href=${mapLink(part)} target="_blank" rel="noopener noreferrer">Open the map<span class="visually-hidden"> of ${part.name ?? coordinates}</span></a>
  </div>`;
}

function InteractiveReply({ part }) {
  return html`<p class="part-reply" data-part="interactive_reply">
    <span class="reply-kind">${REPLY_KINDS[part.kind] ?? 'Chose'}:</span> <strong>${part.title ?? part.payload ?? '?'}</strong>
    ${part.description ? html` <span class="reply-description">(${part.description})</span>` : null}
  </p>`;
}

/** 173 → "2 min 53 s". */
function callLength(seconds) {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/** A customer's call: "Call" while it rings, then how it went (its end is an edit of the message). */
function Call({ part }) {
  const label =
    part.outcome === 'missed'
      ? 'Missed call'
      : part.outcome === 'failed'
        ? 'Call failed'
        : part.outcome === 'answered' && typeof part.durationSeconds === 'number'
          ? `Call, ${callLength(part.durationSeconds)}`
          : 'Call';
  return html`<p class="part-call" data-part="call"><span aria-hidden="true">📞 </span>${label}</p>`;
}

/** One part; `Media` shows a stored file (it reads the media endpoint). */
export function Part({ message, part, index, Media, reveal }) {
  switch (part.type) {
    case 'text':
      return html`<p class="text" dir="auto">${part.text}</p>`;
    case 'media':
      return html`<${Media} hubMessageId=${message.hubMessageId} index=${index} part=${part} />`;
    case 'location':
      return html`<${Location} part=${part} />`;
    case 'interactive_reply':
      return html`<${InteractiveReply} part=${part} />`;
    case 'call':
      return html`<${Call} part=${part} />`;
    case 'reaction':
      return html`<p class="part-reaction" data-part="reaction">
        ${part.emoji ? `Reacted ${part.emoji} to a message` : 'Removed a reaction'}
      </p>`;
    case 'link':
      return isWebUrl(part.url)
        ? html`<p data-part="link"><a href=${part.url} target="_blank" rel="noopener noreferrer">${part.title ?? part.url}</a></p>`
        : html`<p data-part="link">${part.title ? `${part.title}: ` : ''}${part.url}</p>`;
    case 'contacts':
      return html`<p data-part="contacts">Shared contact: ${part.contacts.map((contact) => contact.formattedName).join(', ')}</p>`;
    case 'order':
      return html`<p data-part="order">Order of ${part.items.length} item(s)${part.text ? `: ${part.text}` : ''}</p>`;
    case 'template':
      return html`<p data-part="template">Template <strong>${part.name}</strong> (${part.language})</p>`;
    case 'interactive':
      return html`<div data-part="interactive">
        <p class="text" dir="auto">${part.body}</p>
        ${(part.buttons ?? []).map((button) => html`<span key=${button.id} class="chip">${button.title}</span>`)}
        ${part.list ? html`<span class="chip">${part.list.button}</span>` : null}
      </div>`;
    case 'system':
      // A provider's notice may name the customer: shown only once contacts are revealed (masking.js).
      return html`<p class="part-system" data-part="system">${part.kind.replaceAll('_', ' ')}${part.body ? `: ${shownNotice(part, reveal).body}` : ''}</p>`;
    default:
      return html`<p class="other-part">[${part.type}${part.providerType ? ` ${part.providerType}` : ''}]</p>`;
  }
}

function reactionLabel(who, reaction) {
  if (reaction?.action !== 'added' || !reaction.emoji) return null;
  return html`<span class="reaction" data-reaction=${who} title=${`${who} reacted`}>
    <span aria-hidden="true">${reaction.emoji}</span><span class="visually-hidden">${who} reacted ${reaction.emoji}</span>
  </span>`;
}

/**
 * The parts as they stand now: an edit's parts replace the original ones, a deletion hides them. A
 * call's end is no edit to show: its parts only say how the call went.
 */
export function MessageBody({ message, live, Media, reveal }) {
  const edit = live?.edit;
  const deletion = live?.deletion;
  const parts = edit && !edit.partsOmitted ? edit.parts : message.parts;
  const callEnded = parts.length > 0 && parts.every((part) => part.type === 'call');
  const originalParts = message.parts.map(
    (part, index) =>
      html`<${Part} key=${index} message=${message} part=${part} index=${index} Media=${Media} reveal=${reveal} />`,
  );
  if (deletion) {
    return html`<p class="deleted" data-deleted=${deletion.actor}>
        <span aria-hidden="true">🚫 </span>Deleted by the ${deletion.actor === 'customer' ? 'customer' : 'business'} · <${Time} value=${deletion.at} />
      </p>
      <details class="original"><summary>What it said</summary>${originalParts}</details>`;
  }
  return html`${parts.map((part, index) => html`<${Part} key=${index} message=${message} part=${part} index=${index} Media=${Media} reveal=${reveal} />`)}
    ${
      edit && !callEnded
        ? html`<p class="edited" data-edited=${edit.actor}>Edited · <${Time} value=${edit.at} /></p>
            <details class="original"><summary>Before the edit</summary>${originalParts}</details>`
        : null
    }
    ${
      live?.customerReaction?.emoji || live?.businessReaction?.emoji
        ? html`<p class="reactions">${reactionLabel('customer', live.customerReaction)}${reactionLabel('business', live.businessReaction)}</p>`
        : null
    }`;
}
