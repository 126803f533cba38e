import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { whatsappImageFrom } from '#shared/local/live-samples.ts';
import type { Sample } from '#shared/local/samples.ts';

/*
 * A WhatsApp Cloud API media host on loopback that counts what it serves: `GET /{version}/{media-id}`
 * (the lookup: download URL, type, sha256 in hex, size) and `GET /download/{media-id}` (the bytes),
 * both with a Bearer token, for files a test or the benchmark hands it. A download can be held
 * until the caller lets it go, so a test can act while a fetcher is known to be mid-download.
 */

export interface ServedFile {
  readonly bytes: Buffer;
  readonly mimeType: string;
}

export interface HeldDownload {
  /** Resolves once the download request has arrived (the fetcher holds its claim by then). */
  readonly arrived: Promise<void>;
  /** Sends the bytes. */
  readonly release: () => void;
}

export interface CountingMediaProvider {
  /** The Graph API base URL the fetcher is configured with. */
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  serve(mediaId: string, file: ServedFile): void;
  /** The next download of `mediaId` waits until released. */
  holdNextDownload(mediaId: string): HeldDownload;
  /** Lookups answered with a download URL. */
  lookups(mediaId: string): number;
  /** Downloads whose bytes were sent whole. */
  downloads(mediaId: string): number;
  close(): Promise<void>;
}

const GRAPH_VERSION = 'v21.0';

/** A JPEG of `size` bytes: the JFIF signature, then bytes that follow from `seed`. */
export const jpegOf = (size: number, seed: string): Buffer => {
  const bytes = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(bytes, offset);
    block = createHash('sha256').update(block).digest();
  }
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]).copy(bytes);
  return bytes;
};

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A customer's WhatsApp image webhook (`whatsapp/image.json`) whose media is `mediaId` as this
 * provider serves it: the type, and the sha256 Meta announces in webhooks (base64).
 */
export const whatsappImageServedBy = (
  customer: string,
  messageId: string,
  mediaId: string,
  file: ServedFile,
): Sample => {
  const sample = whatsappImageFrom(customer, messageId, mediaId);
  const json = JSON.parse(sample.payload.toString('utf8')) as {
    entry: { changes: { value: { messages: { image: { mime_type: string; sha256: string } }[] } }[] }[];
  };
  const image = json.entry[0]?.changes[0]?.value.messages[0]?.image;
  if (!image) throw new Error('whatsapp/image.json has no image');
  image.mime_type = file.mimeType;
  image.sha256 = createHash('sha256').update(file.bytes).digest('base64');
  return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') };
};

export const startCountingMediaProvider = async (): Promise<CountingMediaProvider> => {
  const files = new Map<string, ServedFile>();
  const held = new Map<string, { arrived: () => void; released: Promise<void> }>();
  const lookups = new Map<string, number>();
  const downloads = new Map<string, number>();
  const increment = (counts: Map<string, number>, id: string) => counts.set(id, (counts.get(id) ?? 0) + 1);
  let base = '';

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://provider').pathname;
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? ''))
      return answer(401, { error: { message: 'Invalid OAuth access token.', code: 190 } });
    const lookup = new RegExp(`^/${GRAPH_VERSION}/([^/]+)$`).exec(path);
    const download = /^\/download\/([^/]+)$/.exec(path);
    const id = decodeURIComponent(lookup?.[1] ?? download?.[1] ?? '');
    const file = files.get(id);
    if (!file) return answer(400, { error: { message: 'Unsupported get request.', code: 100 } });
    if (lookup) {
      increment(lookups, id);
      return answer(200, {
        messaging_product: 'whatsapp',
        url: `${base}/download/${encodeURIComponent(id)}`,
        mime_type: file.mimeType,
        sha256: sha256Hex(file.bytes),
        file_size: file.bytes.length,
        id,
      });
    }
    const hold = held.get(id);
    held.delete(id);
    hold?.arrived();
    void (hold?.released ?? Promise.resolve()).then(() => {
      response.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length });
      response.end(file.bytes, () => increment(downloads, id));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    graphApiUrl: base,
    graphApiVersion: GRAPH_VERSION,
    serve: (mediaId, file) => void files.set(mediaId, file),
    holdNextDownload: (mediaId) => {
      let arrived: () => void = () => undefined;
      let release: () => void = () => undefined;
      const arrival = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      held.set(mediaId, { arrived, released });
      return { arrived: arrival, release };
    },
    lookups: (mediaId) => lookups.get(mediaId) ?? 0,
    downloads: (mediaId) => downloads.get(mediaId) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
