import { LOCAL_REGION } from '#shared/local/local-aws.ts';
import type { CallbackStep } from './callbacks.ts';
import type { Fault } from './faults.ts';
import type { SimContext } from './types.ts';

/**
 * SES event publishing through a configuration set's SNS destination: each event is the JSON
 * record SES publishes (`eventType`, `mail`, and the event's own object), carried as the `Message`
 * string of an SNS notification posted to the hub's local `/_local/aws/ses-events` route.
 */

export const LOCAL_ACCOUNT_ID = '000000000000';
const EVENTS_PATH = '/_local/aws/ses-events';
const TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:switchboard-ses-events`;
const REPORTING_MTA = 'a8-70.smtp-out.amazonses.com';

export interface SentEmail {
  readonly messageId: string;
  readonly acceptedAt: number;
  readonly source: string;
  readonly sourceArn: string;
  readonly destination: readonly string[];
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly commonHeaders: Readonly<Record<string, unknown>>;
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const mailObject = (email: SentEmail) => ({
  timestamp: iso(email.acceptedAt),
  source: email.source,
  sourceArn: email.sourceArn,
  sendingAccountId: LOCAL_ACCOUNT_ID,
  messageId: email.messageId,
  destination: email.destination,
  headersTruncated: false,
  headers: email.headers,
  commonHeaders: email.commonHeaders,
  tags: email.tags,
});

const snsStep = (context: SimContext, event: string, atMs: number, record: unknown): CallbackStep => {
  const messageId = context.ids.uuid();
  const envelope = {
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: TOPIC_ARN,
    Message: JSON.stringify(record),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    // Not a real SNS signature: nothing local can sign as AWS.
    Signature: Buffer.from(context.ids.hex(512), 'hex').toString('base64'),
    SigningCertURL: `https://sns.${LOCAL_REGION}.amazonaws.com/SimpleNotificationService-local.pem`,
    UnsubscribeURL: `https://sns.${LOCAL_REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:${context.ids.uuid()}`,
  };
  return {
    event,
    atMs,
    url: `${context.hubBaseUrl}${EVENTS_PATH}`,
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'user-agent': 'Amazon Simple Notification Service Agent',
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': messageId,
      'x-amz-sns-topic-arn': TOPIC_ARN,
    },
    body: JSON.stringify(envelope),
  };
};

const eventRecord = (email: SentEmail, eventType: string, key: string, detail: unknown) => ({
  eventType,
  mail: mailObject(email),
  [key]: detail,
});

export const sesEventSteps = (
  email: SentEmail,
  fault: Fault | undefined,
  context: SimContext,
): CallbackStep[] => {
  const { delays, ids } = context;
  const at = (delay: number) => iso(email.acceptedAt + delay);
  const send = snsStep(context, 'Send', delays.sent, eventRecord(email, 'Send', 'send', {}));
  const delivery = snsStep(
    context,
    'Delivery',
    delays.delivered,
    eventRecord(email, 'Delivery', 'delivery', {
      timestamp: at(delays.delivered),
      processingTimeMillis: delays.delivered,
      recipients: email.destination,
      smtpResponse: '250 2.6.0 Message received',
      reportingMTA: REPORTING_MTA,
    }),
  );
  if (fault?.kind !== 'delivery_failed') return [send, delivery];
  switch (fault.sesEvent ?? 'Bounce') {
    case 'Bounce': {
      const permanent = (fault.severity ?? 'permanent') === 'permanent';
      return [
        send,
        snsStep(
          context,
          'Bounce',
          delays.delivered,
          eventRecord(email, 'Bounce', 'bounce', {
            bounceType: permanent ? 'Permanent' : 'Transient',
            bounceSubType: permanent ? 'General' : 'MailboxFull',
            bouncedRecipients: email.destination.map((emailAddress) => ({
              emailAddress,
              action: 'failed',
              status: permanent ? '5.1.1' : '4.2.2',
              diagnosticCode: permanent ? 'smtp; 550 5.1.1 user unknown' : 'smtp; 452 4.2.2 mailbox full',
            })),
            timestamp: at(delays.delivered),
            feedbackId: ids.sesMessageId(),
            reportingMTA: `dsn; ${REPORTING_MTA}`,
          }),
        ),
      ];
    }
    case 'Complaint':
      return [
        send,
        delivery,
        snsStep(
          context,
          'Complaint',
          delays.read,
          eventRecord(email, 'Complaint', 'complaint', {
            complainedRecipients: email.destination.map((emailAddress) => ({ emailAddress })),
            timestamp: at(delays.read),
            feedbackId: ids.sesMessageId(),
            userAgent: 'Mozilla/5.0',
            complaintFeedbackType: 'abuse',
            arrivalDate: at(delays.read),
          }),
        ),
      ];
    case 'DeliveryDelay':
      return [
        send,
        snsStep(
          context,
          'DeliveryDelay',
          delays.delivered,
          eventRecord(email, 'DeliveryDelay', 'deliveryDelay', {
            timestamp: at(delays.delivered),
            delayType: 'TransientCommunicationFailure',
            expirationTime: iso(email.acceptedAt + 14 * 60 * 60 * 1000),
            delayedRecipients: email.destination.map((emailAddress) => ({
              emailAddress,
              status: '4.4.1',
              diagnosticCode: 'smtp; 421 4.4.1 Unable to connect to the remote host',
            })),
          }),
        ),
      ];
    case 'Reject':
      return [
        send,
        snsStep(
          context,
          'Reject',
          delays.delivered,
          eventRecord(email, 'Reject', 'reject', { reason: 'Bad content' }),
        ),
      ];
  }
};
