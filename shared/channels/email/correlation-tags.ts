import { CONVERSATION_ID_PATTERN } from '#shared/contract/ids.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';

/*
 * What an e-mail the hub sends carries for its delivery events: SES message tags (`EmailTags`) or
 * Mailgun variables (`v:`), echoed back in every event about the message. The events carry only the
 * provider's message id otherwise, so the conversation travels along too.
 */

export const CORRELATION_TAG = 'switchboard_correlation';
export const CONVERSATION_TAG = 'switchboard_conversation';

/**
 * SES tag values may hold only ASCII letters, digits, `_` and `-` (SES v2 API reference,
 * MessageTag): the `.` of `<hubMessageId>.<sequence>` is written `-`. Hub message ids hold no `-`,
 * so the last one is the separator and the value reads back unchanged.
 */
export const sesTagValueOfCorrelation = (correlationId: string): string => correlationId.replace('.', '-');

/** The correlation id a tag or variable holds (the SES form or the plain one), when it is the hub's. */
export const correlationIdOfTag = (value: string | undefined): string | undefined => {
  const candidate = value?.replace(/-(\d{1,2})$/, '.$1');
  return candidate !== undefined && parseCorrelationId(candidate) ? candidate : undefined;
};

/** A conversation id as the hub makes them (also a valid SES tag value), or undefined. */
export const conversationIdOfTag = (value: string | undefined): string | undefined =>
  value !== undefined && CONVERSATION_ID_PATTERN.test(value) ? value : undefined;
