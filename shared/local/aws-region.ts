import { SQSClient } from '@aws-sdk/client-sqs';

/*
 * The region of the command-line tools' AWS clients against a deployment (`npm run send` with
 * SWITCHBOARD_OUTBOX_QUEUE_URL, `npm run consume -- --queue-url`, `npm run redrive -- <queue>`, `npm run
 * erase -- --deployed`, the table maintenance commands). The SDK finds one in AWS_REGION or the
 * profile's `region`; a machine set up for the AWS CLI alone may have neither (it reads
 * AWS_DEFAULT_REGION, the SDK does not), and every client then failed at its first call with the
 * SDK's bare "Region is missing" (found by a review). A queue URL names its region, so a tool given
 * one takes it from there; a tool given none says to set AWS_REGION.
 *
 * The queue URL's region wins over the SDK's (since 2026-12-06, found by a review): the SQS client
 * sends to the queue URL's host whatever its region says (middleware-sdk-sqs `useQueueUrlAsEndpoint`)
 * but signs for its region, so a profile or AWS_REGION naming another region (`us-east-1`, the usual
 * default) had every SQS call refused and `erase --deployed` look for the table in that region. The
 * queue URL is the stack's own; a tool's explicit `--region` (the consumer's) still wins over both.
 */

/** A region, as AWS spells them (`eu-west-1`, `us-gov-west-1`, `cn-north-1`). */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** An SQS endpoint's host: `sqs.<region>.amazonaws.com` (`.com.cn` in China, `sqs-fips.` for FIPS). */
const SQS_HOST = /^sqs(?:-fips)?\.([a-z0-9-]{1,32})\.amazonaws\.com(?:\.cn)?$/;

/** The region an SQS queue URL names (`https://sqs.eu-west-1.amazonaws.com/…`), or undefined. */
export const regionOfQueueUrl = (queueUrl: string | undefined): string | undefined => {
  if (queueUrl === undefined || !URL.canParse(queueUrl)) return undefined;
  const region = SQS_HOST.exec(new URL(queueUrl).hostname)?.[1];
  return region !== undefined && REGION.test(region) ? region : undefined;
};

/** No region configured and none in a queue URL: what to set, in the tool's own words. */
export class MissingRegionError extends Error {
  override readonly name = 'MissingRegionError';
}

/** The region the SDK finds by itself (AWS_REGION, the profile's `region`), or undefined. */
const sdkRegion = async (): Promise<string | undefined> => {
  const probe = new SQSClient({});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
};

/**
 * The region for a tool's AWS clients: the one the first of `queueUrls` that names one names, which
 * is then also put in `env.AWS_REGION` so the clients created elsewhere in the process (the secrets'
 * reader) take it too, else the SDK's own (AWS_REGION, the profile). Throws a MissingRegionError
 * saying to set AWS_REGION when there is neither.
 */
export const cliAwsRegion = async (
  queueUrls: readonly (string | undefined)[] = [],
  env: NodeJS.ProcessEnv = process.env,
  configured: () => Promise<string | undefined> = sdkRegion,
): Promise<string> => {
  const fromUrl = queueUrls.map(regionOfQueueUrl).find((region) => region !== undefined);
  if (fromUrl !== undefined) {
    env.AWS_REGION = fromUrl;
    return fromUrl;
  }
  const own = await configured();
  if (own) return own;
  const named = queueUrls.filter((url) => url !== undefined);
  throw new MissingRegionError(
    `no AWS region: set AWS_REGION to the stack's region (export AWS_REGION=eu-west-1, say) or give your AWS profile a region${named.length > 0 ? ` (${named.join(', ')} names none)` : ''}`,
  );
};
