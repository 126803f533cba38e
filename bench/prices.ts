/**
 * AWS list prices, us-east-1, as published on the services' pricing pages on 2026-05-01 (checked
 * for this benchmark; free tiers ignored). Sources:
 *   https://aws.amazon.com/lambda/pricing/        Arm: $0.20 per 1M requests, $0.0000133334 per GB-second (first tier)
 *   https://aws.amazon.com/api-gateway/pricing/   HTTP APIs: $1.00 per million requests (first 300M; 512 KB units)
 *   https://aws.amazon.com/sqs/pricing/           FIFO: $0.50 per million requests; every 64 KB chunk of a payload is one request
 *   https://aws.amazon.com/dynamodb/pricing/on-demand/  $0.625 per million write request units, $0.125 per million read request units
 *   https://aws.amazon.com/s3/pricing/            Standard: $0.005 per 1,000 PUT, $0.0004 per 1,000 GET
 *                                                 (multipart: each CreateMultipartUpload, UploadPart and
 *                                                 CompleteMultipartUpload a PUT-class request);
 *                                                 storage $0.023 per GB-month (first 50 TB)
 *   https://aws.amazon.com/dynamodb/pricing/on-demand/  storage (Standard table class) $0.25 per GB-month
 */
export const PRICES = {
  lambdaPerRequest: 0.2 / 1e6,
  lambdaArmPerGbSecond: 0.0000133334,
  httpApiPerRequest: 1.0 / 1e6,
  sqsFifoPerRequest: 0.5 / 1e6,
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  s3PerPut: 0.005 / 1000,
  s3PerGet: 0.0004 / 1000,
  s3StandardPerGbMonth: 0.023,
  dynamoPerGbMonth: 0.25,
} as const;

export const PRICES_SOURCE =
  'AWS pricing pages, us-east-1 list prices as of 2026-05-01 (see bench/prices.ts)';

/** SQS bills a request per started 64 KB of payload. */
export const SQS_CHUNK_BYTES = 64 * 1024;
