// The contact of the open conversation: the person's identities on each channel (masked unless
// revealed), their consent by channel and purpose (GET /v1/contacts/{id}), and their other
// conversations (GET /v1/contacts/{id}/conversations, the 50 with the newest activity, and a word when
// there are more), each a button that opens it.
import htm from 'htm';
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { call, GONE, hubNotAnswering, readUnlessGone } from './api.js';
import { RETRY_SOON, useLiveTask } from './live.js';
import { Time } from './timeline.js';

const html = htm.bind(h);

const SCOPES = {
  sms: 'SMS',
  whatsapp_marketing: 'WhatsApp marketing',
  messenger_notifications: 'Messenger notifications',
  email: 'E-mail',
};
const CONSENT_WORDS = { opted_out: 'opted out', opted_in: 'opted in', help_requested: 'asked for help' };
/** How many of the person's conversations the panel lists (the API's order: newest activity first). */
const JOURNEY_LIMIT = 50;

function Consent({ consent }) {
  const scopes = Object.entries(consent ?? {});
  if (scopes.length === 0) return html`<p class="consent-none">No consent change recorded.</p>`;
  return html`<ul class="consent">
    ${scopes.map(
      ([scope, value]) => html`<li key=${scope} data-consent=${scope} data-value=${value.consent}>
        ${SCOPES[scope] ?? scope}: <strong>${CONSENT_WORDS[value.consent] ?? value.consent}</strong>
        ${value.trigger ? html` <span class="muted">(“<bdi>${value.trigger}</bdi>”, <${Time} value=${value.at} />)</span>` : null}
      </li>`,
    )}
  </ul>`;
}

export function ContactPanel({ conversation, reveal, mask, channelNames, onOpen }) {
  const contactId = conversation.contactId;
  const [person, setPerson] = useState(undefined);
  const [others, setOthers] = useState([]);
  // The API holds more of the person's conversations than the panel read (its nextCursor).
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');
  useLiveTask(
    async (stopped) => {
      if (!contactId) return;
      try {
        const [body, journey] = await Promise.all([
          readUnlessGone('contact', contactId),
          call(`/v1/contacts/${contactId}/conversations?limit=${JOURNEY_LIMIT}`),
        ]);
        if (stopped()) return;
        // Erased: the person's identities and conversations leave the screen.
        if (body === GONE) {
          setPerson(undefined);
          setOthers([]);
          setMore(false);
          setError('this person no longer exists (erased)');
          return;
        }
        setPerson(body);
        setOthers(journey.items.filter((item) => item.conversationId !== conversation.conversationId));
        setMore(Boolean(journey.nextCursor));
        setError('');
      } catch (failure) {
        if (stopped()) return;
        // The hub starting or not answering: the header says so; what was read stays until it answers.
        if (hubNotAnswering(failure)) return RETRY_SOON;
        setError(failure.message);
      }
    },
    [contactId, conversation.conversationId],
    (event) => event.contactId === contactId || event.conversationId === conversation.conversationId,
  );
  if (!contactId) return null;
  return html`<details class="contact-panel" open>
    <summary><h3 id="contact-title">Contact</h3></summary>
    ${error ? html`<p class="failure" role="alert">Could not read the contact: ${error}</p>` : null}
    ${
      person
        ? html`<ul class="contact-channels" aria-labelledby="contact-title">
            ${person.channels.map(
              (channel) => html`<li key=${channel.channel} data-contact-channel=${channel.channel}>
                <strong>${channelNames[channel.channel] ?? channel.channel}</strong>
                ${reveal && channel.displayName ? html` · <bdi>${channel.displayName}</bdi>` : ''}
                <span class="identities">${channel.identities.map((identity) => (reveal ? identity.value : mask(identity))).join(', ')}</span>
                <${Consent} consent=${channel.consent} />
              </li>`,
            )}
          </ul>`
        : html`<p class="muted">Reading the contact…</p>`
    }
    <h4>Other conversations</h4>
    ${
      others.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<ul class="other-conversations">
            ${others.map(
              (other) => html`<li key=${other.conversationId}>
                <button type="button" class="link-button" data-open-conversation=${other.conversationId} onClick=${() => onOpen(other)}>
                  ${channelNames[other.channel] ?? other.channel} · ${other.status}
                </button>
              </li>`,
            )}
          </ul>`
    }
    ${
      more
        ? html`<p class="muted" data-more-journey>
            Only their ${JOURNEY_LIMIT} conversations with the newest activity are listed; they have more.
          </p>`
        : null
    }
  </details>`;
}
