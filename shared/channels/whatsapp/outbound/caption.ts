import { isBlank } from '#shared/channels/blank-pieces.ts';
import type { OutboundMediaPart } from '#shared/contract/commands.ts';
import type { PreparedMessage } from '#shared/outbound/channel-sender.ts';
import { MAX_CAPTION } from './limits.ts';

/**
 * WhatsApp's caption rule, on the Cloud API and through Twilio alike: a caption goes on the file
 * only where the customer's app shows it (`shown`: the kind takes one from this provider) and only
 * up to MAX_CAPTION characters. Any other caption is neither dropped nor refused: the file goes
 * without it and the caption follows as text messages of the same part, in order (`split`: the
 * provider's text splitter), as a Messenger caption does. The customer gets every word, after the
 * file it speaks of, where a refusal would fail a reply that can be delivered whole.
 */
export const fileThenCaption = (
  part: OutboundMediaPart,
  partIndex: number,
  shown: boolean,
  split: (text: string) => readonly string[],
): PreparedMessage[] => {
  const { caption, ...file } = part;
  // A blank caption is none: the file goes without it, and no blank message follows.
  if (caption === undefined || isBlank(caption)) return [{ partIndex, part: file }];
  if (shown && caption.length <= MAX_CAPTION) return [{ partIndex, part }];
  return [
    { partIndex, part: file },
    ...split(caption).map((text): PreparedMessage => ({ partIndex, part: { type: 'text', text } })),
  ];
};
