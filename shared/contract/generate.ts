/**
 * Writes the published contract: the JSON Schemas, the AsyncAPI and OpenAPI documents under
 * shared/contract/generated/, and the README's event reference. A test fails when they are stale.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderClientTypes, renderOpenApi } from '#shared/api/openapi.ts';
import { renderAsyncApi, renderCommandsJsonSchema, renderJsonSchema, withEventsMarkdown } from './docs.ts';

export const GENERATED_DIR = resolve(import.meta.dirname, 'generated');
export const SCHEMA_PATH = resolve(GENERATED_DIR, 'switchboard-events.schema.json');
export const COMMANDS_SCHEMA_PATH = resolve(GENERATED_DIR, 'switchboard-commands.schema.json');
export const ASYNCAPI_PATH = resolve(GENERATED_DIR, 'asyncapi.json');
export const OPENAPI_PATH = resolve(GENERATED_DIR, 'openapi.json');
export const CLIENT_TYPES_PATH = resolve(GENERATED_DIR, 'helpdesk-api.ts');
export const README_PATH = resolve(import.meta.dirname, '../../README.md');

export const toFileText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

const main = async (): Promise<void> => {
  mkdirSync(GENERATED_DIR, { recursive: true });
  writeFileSync(SCHEMA_PATH, toFileText(renderJsonSchema()));
  writeFileSync(COMMANDS_SCHEMA_PATH, toFileText(renderCommandsJsonSchema()));
  writeFileSync(ASYNCAPI_PATH, toFileText(renderAsyncApi()));
  writeFileSync(OPENAPI_PATH, toFileText(renderOpenApi()));
  writeFileSync(CLIENT_TYPES_PATH, await renderClientTypes());
  writeFileSync(README_PATH, withEventsMarkdown(readFileSync(README_PATH, 'utf8')));
  console.log(`wrote ${GENERATED_DIR}/*.json and the README references`);
};

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
