import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { mediaTypeOf } from '#shared/validation/media-type.ts';

/** A file part of a multipart form. */
export interface FilePart {
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

export type FieldValue = string | FilePart;
/** Form fields in the order sent; a repeated name keeps every value. */
export type FormFields = ReadonlyMap<string, readonly FieldValue[]>;

/** What is recorded instead of raw bytes (MIME messages, uploaded files). */
export const bytesDigest = (bytes: Uint8Array): { byteLength: number; sha256: string } => ({
  byteLength: bytes.byteLength,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
};

export type JsonRead = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

export const readJson = (body: Buffer): JsonRead => {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
};

const pushField = (fields: Map<string, FieldValue[]>, name: string, value: FieldValue) => {
  const values = fields.get(name);
  if (values) values.push(value);
  else fields.set(name, [value]);
};

/**
 * Fields of an `application/x-www-form-urlencoded` or `multipart/form-data` body (the latter parsed
 * by the platform's own Fetch implementation); undefined for any other content type or a body that
 * does not parse.
 */
export const readForm = async (
  body: Buffer,
  headers: IncomingHttpHeaders,
): Promise<FormFields | undefined> => {
  const type = mediaTypeOf(headerValue(headers, 'content-type'));
  const fields = new Map<string, FieldValue[]>();
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) pushField(fields, name, value);
    return fields;
  }
  if (type !== 'multipart/form-data') return undefined;
  try {
    const contentType = headerValue(headers, 'content-type') ?? '';
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
    for (const [name, value] of form) {
      if (typeof value === 'string') pushField(fields, name, value);
      else {
        pushField(fields, name, {
          filename: value.name,
          contentType: value.type,
          bytes: Buffer.from(await value.arrayBuffer()),
        });
      }
    }
    return fields;
  } catch {
    return undefined;
  }
};

/** Fields as a recordable object: one value as itself, repeated ones as a list, files as their digest. */
export const fieldsRecord = (fields: FormFields): Record<string, unknown> => {
  const recordValue = (value: FieldValue): unknown =>
    typeof value === 'string'
      ? value
      : { filename: value.filename, contentType: value.contentType, ...bytesDigest(value.bytes) };
  const record: Record<string, unknown> = {};
  for (const [name, values] of fields) {
    record[name] = values.length === 1 ? recordValue(values[0] as FieldValue) : values.map(recordValue);
  }
  return record;
};

/** Text fields as `name → value` (the first value) or `name → values`, for zod to check. */
export const textFields = (fields: FormFields): Record<string, string | string[]> => {
  const record: Record<string, string | string[]> = {};
  for (const [name, values] of fields) {
    const texts = values.filter((value): value is string => typeof value === 'string');
    if (texts.length === 0) continue;
    record[name] = texts.length === 1 ? (texts[0] as string) : texts;
  }
  return record;
};

export const fileField = (fields: FormFields, name: string): FilePart | undefined =>
  fields.get(name)?.find((value): value is FilePart => typeof value !== 'string');

/** `Authorization: Basic` user and password, if well formed. */
export const basicAuth = (headers: IncomingHttpHeaders): { user: string; password: string } | undefined => {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headerValue(headers, 'authorization') ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
};

export const bearerToken = (headers: IncomingHttpHeaders): string | undefined =>
  /^Bearer\s+(\S+)\s*$/i.exec(headerValue(headers, 'authorization') ?? '')?.[1];

/** JSON with every non-ASCII character escaped as `\uXXXX`, as Meta puts its webhooks on the wire. */
export const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
