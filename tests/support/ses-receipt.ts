/**
 * An SES receipt rule's Lambda action event for one e-mail (after the S3 action stored it under
 * `ses-inbound/<messageId>`), every verdict passing but DMARC's GRAY: as SES documents the event.
 */
export const sesReceiptEvent = (messageId: string, receivedAt: string) => {
  const verdict = { status: 'PASS' };
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: receivedAt,
            source: 'maria.keller@customer.example',
            messageId,
            destination: ['support@switchboard.example'],
            headersTruncated: false,
            headers: [],
            commonHeaders: {},
          },
          receipt: {
            timestamp: receivedAt,
            processingTimeMillis: 410,
            recipients: ['support@switchboard.example'],
            spamVerdict: verdict,
            virusVerdict: verdict,
            spfVerdict: verdict,
            dkimVerdict: verdict,
            dmarcVerdict: { status: 'GRAY' },
            action: {
              type: 'Lambda',
              functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ses',
              invocationType: 'Event',
            },
          },
        },
      },
    ],
  };
};
