import { type IncomingHttpHeaders, request } from 'node:http';

/** An answer as the client received it. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RawRequest {
  readonly method?: string;
  /** Sent as given: Host and Origin too, which fetch would not let a test choose. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** One HTTP request with exactly the headers a browser page (or a rebinding one) would send. */
export const rawRequest = (url: string, options: RawRequest = {}): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const body =
      typeof options.body === 'string'
        ? Buffer.from(options.body, 'utf8')
        : (options.body ?? Buffer.alloc(0));
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          ...(body.length > 0 ? { 'content-length': String(body.length) } : {}),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });

/** The CORS headers of an answer: a page can read an answer only through them. */
export const corsHeadersOf = (answer: RawAnswer): string[] =>
  Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
