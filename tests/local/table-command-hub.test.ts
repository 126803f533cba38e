import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableCommandOptions } from '#shared/cli/table-command.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
import type { HubInfo } from '#shared/local/hub-info.ts';
import { HUB_INFO_PATH } from '#shared/local/routes.ts';
import { noRegionEnv, runCli } from '#tests/support/cli-process.ts';

/*
 * The table maintenance commands (npm run reindex-people, reshard-indexes, rekey-opt-outs) given
 * `--hub` work on that local hub's table, as `npm run send` and `npm run erase` talk to the hub they
 * are given, even with SWITCHBOARD_TABLE_NAME left exported from a deployed session: until
 * 2026-12-07 the variable won, and `--hub` was silently ignored (found by a review).
 */

const SCRIPTS = ['reindex-people', 'reshard-indexes', 'rekey-opt-outs'] as const;
const DEPLOYED_TABLE = 'acme-switchboard-table';

describe('the table maintenance commands with --hub and SWITCHBOARD_TABLE_NAME both given', () => {
  it('take the local hub --hub names, saying the deployed table named is ignored', () => {
    // Prepare
    const err = memoryOutput();
    const env = { SWITCHBOARD_TABLE_NAME: DEPLOYED_TABLE };
    // Act
    const withHub = tableCommandOptions(
      'reshard-indexes',
      'usage',
      ['--hub', 'http://127.0.0.1:4100'],
      env,
      err,
      err,
    );
    const noteWithHub = [...err.lines];
    err.lines.length = 0;
    const withoutHub = tableCommandOptions('reshard-indexes', 'usage', [], env, err, err);
    // Assess
    expect(withHub).toEqual({ dryRun: false, hub: 'http://127.0.0.1:4100', deployed: false });
    expect(noteWithHub).toEqual([
      `note: SWITCHBOARD_TABLE_NAME (${DEPLOYED_TABLE}) is set but ignored: --hub names the local hub at http://127.0.0.1:4100, whose table this works on (leave out --hub to work on ${DEPLOYED_TABLE})`,
    ]);
    expect(withoutHub).toEqual({ dryRun: false, hub: 'http://127.0.0.1:3000', deployed: true });
    expect(err.lines).toEqual([]);
  });

  it('refuse a --hub npm took for itself (npm run <script> --hub=URL, without the --), as a swallowed --dry-run', () => {
    // Prepare: npm sets npm_config_hub and passes nothing on, so the command would see no --hub
    const err = memoryOutput();
    const env = { SWITCHBOARD_TABLE_NAME: DEPLOYED_TABLE, npm_config_hub: 'http://127.0.0.1:4100' };
    // Act
    const swallowed = tableCommandOptions('reindex-people', 'usage', [], env, err, err);
    const given = tableCommandOptions('reindex-people', 'usage', ['--hub', 'http://127.0.0.1:4100'], env);
    // Assess: nothing runs (before, it worked on the deployed table the variable names); given after
    // the --, --hub is taken as usual
    expect(swallowed).toEqual({ exitCode: 2 });
    expect(err.lines.join('\n')).toContain('npm run reindex-people -- --hub');
    expect(given).toMatchObject({ hub: 'http://127.0.0.1:4100', deployed: false });
  });

  describe('run against a local hub', () => {
    let emulators: RunningEmulators;
    let hub: Server;
    let hubUrl = '';

    beforeAll(async () => {
      emulators = await startEmulators();
      // The hub's self-description, as `npm start` answers it: all the commands need to find its table.
      const info: HubInfo = {
        service: 'switchboard-local-hub',
        region: LOCAL_REGION,
        credentials: { ...LOCAL_CREDENTIALS },
        endpoints: emulators.endpoints,
        resources: emulators.resources,
      };
      hub = createServer((request, response) => {
        response.writeHead(request.url === HUB_INFO_PATH ? 200 : 404, { 'content-type': 'application/json' });
        response.end(JSON.stringify(request.url === HUB_INFO_PATH ? info : {}));
      });
      await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
      const address = hub.address();
      hubUrl = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}`;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => hub?.close(() => resolve()));
      await emulators?.stop();
    });

    it('work on the local table, not the deployed one the environment names', async () => {
      // Prepare: a deployed session's variable left exported, and no AWS region or credentials
      const env = noRegionEnv({ SWITCHBOARD_TABLE_NAME: DEPLOYED_TABLE });
      // Act
      const runs = await Promise.all(
        SCRIPTS.map((script) => runCli(`shared/cli/${script}.ts`, ['--dry-run', '--hub', hubUrl], env)),
      );
      // Assess: each reports its dry run over the local table; before, each went to AWS and failed
      runs.forEach((run) => {
        expect(run.stderr).not.toMatch(/failed/);
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ dryRun: true });
        expect(run.stderr).toContain(`note: SWITCHBOARD_TABLE_NAME (${DEPLOYED_TABLE}) is set but ignored`);
      });
    }, 120_000);
  });
});
