import { HttpResponse as SdkHttpResponse } from '@smithy/core/transport';
import { signRequest } from '#shared/aws/signed/sigv4.ts';

/**
 * The AWS SDK as an oracle for the hub's own signed requests (shared/aws/signed/): an SDK client
 * sends through `recordingHandler`, which keeps each request as signed and answers from a list;
 * `resignedBySigner` gives our signer exactly the headers the SDK signed, so equal Authorization
 * headers prove the same canonical request. One clock, region and set of credentials for both.
 */

export const ORACLE_NOW = new Date('2026-12-01T06:52:49.123Z');
export const ORACLE_REGION = 'eu-west-1';
export const ORACLE_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//session+token=',
};
/** What Lambda's environment would hold for those credentials. */
export const ORACLE_ENV = {
  AWS_REGION: ORACLE_REGION,
  AWS_ACCESS_KEY_ID: ORACLE_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: ORACLE_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: ORACLE_CREDENTIALS.sessionToken,
};

export interface CannedAnswer {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface RecordedRequest {
  readonly method: string;
  /** Host, port, path and query as sent. */
  readonly url: URL;
  readonly headers: Record<string, string>;
  /** The body as UTF-8 text. */
  readonly body: string;
}

/** An SDK client's request handler: records each signed request, answers from `answers` in turn (the last repeats). */
export const recordingHandler = (answers: readonly CannedAnswer[] = [{ statusCode: 200 }]) => {
  const requests: RecordedRequest[] = [];
  return {
    requests,
    handler: {
      handle: async (request: {
        method: string;
        protocol: string;
        hostname: string;
        port?: number;
        path: string;
        query?: Record<string, string | null | (string | null)[]>;
        headers: Record<string, string>;
        body?: unknown;
      }) => {
        const port = request.port ? `:${request.port}` : '';
        const url = new URL(`${request.protocol}//${request.hostname}${port}${request.path}`);
        for (const [name, value] of Object.entries(request.query ?? {}))
          if (typeof value === 'string') url.searchParams.set(name, value);
        requests.push({
          method: request.method,
          url,
          headers: { ...request.headers },
          body:
            request.body === undefined
              ? ''
              : typeof request.body === 'string'
                ? request.body
                : Buffer.from(request.body as Uint8Array).toString(),
        });
        const answer = answers[Math.min(requests.length, answers.length) - 1] as CannedAnswer;
        return {
          response: new SdkHttpResponse({
            statusCode: answer.statusCode,
            headers: answer.headers ?? {},
            body: Buffer.from(answer.body ?? ''),
          }),
        };
      },
    },
  };
};

/** What SignedHeaders= of an Authorization header lists. */
export const signedHeaderNames = (authorization: string | undefined): string[] =>
  /SignedHeaders=([^,]+)/.exec(authorization ?? '')?.[1]?.split(';') ?? [];

/** Our signer over a request the SDK signed, given the headers the SDK signed (less those the signer adds). */
export const resignedBySigner = (
  request: RecordedRequest,
  service: string,
  options: { readonly body?: string | Uint8Array; readonly uriEscapePath?: boolean } = {},
) => {
  const added = new Set(['host', 'x-amz-date', 'x-amz-security-token']);
  const headers = Object.fromEntries(
    signedHeaderNames(request.headers.authorization)
      .filter((name) => !added.has(name))
      .map((name) => [name, request.headers[name] ?? '']),
  );
  return signRequest(
    { method: request.method, url: request.url, headers, body: options.body ?? request.body },
    {
      credentials: ORACLE_CREDENTIALS,
      region: ORACLE_REGION,
      service,
      date: new Date(),
      ...(options.uriEscapePath === undefined ? {} : { uriEscapePath: options.uriEscapePath }),
    },
  );
};
