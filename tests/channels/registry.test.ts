import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/bundling/options.ts';
import { CONNECTOR_IDS, CONNECTORS, webhookConnectors } from '#shared/channels/registry.ts';
import { ChannelSecretsSchema } from '#shared/config/secrets.ts';
import { DEFAULT_EVENTS_DIR } from '#shared/local/samples.ts';

describe('the channel connector registry', () => {
  it('names only secret sections the channel secret has', () => {
    // Act
    const named = new Set(CONNECTOR_IDS.flatMap((id) => CONNECTORS[id].secretSections));
    // Assess
    const sections = ChannelSecretsSchema.getter(undefined).pipe[1].entries;
    expect([...named].every((section) => Object.hasOwn(sections, section))).toBe(true);
    expect([...named].sort()).toEqual(Object.keys(sections).sort());
  });

  it('names a Lambda entry that exists for every connector, and a sample folder for every webhook', () => {
    for (const id of CONNECTOR_IDS) {
      expect(existsSync(path.join(REPO_ROOT, 'functions', `${CONNECTORS[id].functionEntry}.ts`)), id).toBe(
        true,
      );
    }
    for (const [id, connector] of webhookConnectors()) {
      expect(existsSync(path.join(DEFAULT_EVENTS_DIR, connector.samples.folder)), id).toBe(true);
      expect(connector.routes[connector.providerRoute], id).toBeDefined();
    }
  });

  it('gives every route to one connector only', () => {
    // Act
    const keys = webhookConnectors().flatMap(([, connector]) =>
      connector.routes.flatMap((route) => route.methods.map((method) => `${method} ${route.path}`)),
    );
    // Assess
    expect(new Set(keys).size).toBe(keys.length);
  });
});
