import type { SNSEvent } from 'aws-lambda';
import { z } from 'zod';

/*
 * SNS → Lambda, played locally: the JSON an SNS topic posts to an HTTP subscriber (a Notification)
 * becomes the event Lambda's SNS integration builds from the same message. The field names differ
 * (SigningCertURL there, SigningCertUrl here); the message is passed on as it came.
 */

const NotificationSchema = z.looseObject({
  Type: z.literal('Notification'),
  MessageId: z.string(),
  TopicArn: z.string(),
  Subject: z.string().nullish(),
  Message: z.string(),
  Timestamp: z.string(),
  SignatureVersion: z.string().default('1'),
  Signature: z.string().default(''),
  SigningCertURL: z.string().default(''),
  UnsubscribeURL: z.string().default(''),
});

export const snsEventOf = (body: string): SNSEvent => {
  const notification = NotificationSchema.parse(JSON.parse(body));
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${notification.TopicArn}:local`,
        Sns: {
          Type: notification.Type,
          MessageId: notification.MessageId,
          TopicArn: notification.TopicArn,
          Subject: notification.Subject ?? '',
          Message: notification.Message,
          Timestamp: notification.Timestamp,
          SignatureVersion: notification.SignatureVersion,
          Signature: notification.Signature,
          SigningCertUrl: notification.SigningCertURL,
          UnsubscribeUrl: notification.UnsubscribeURL,
          MessageAttributes: {},
        },
      },
    ],
  };
};
