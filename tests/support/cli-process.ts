import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** `npm run <script>` as a person runs it (the script's file under tsx): its exit code, stdout and stderr. */
export const runCli = async (
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['node_modules/tsx/dist/cli.mjs', file, ...args],
      { cwd: process.cwd(), env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
};

/**
 * The environment of a machine with no AWS region the SDK finds (no AWS_REGION, no profile, no
 * config file) and no credentials either, so a client that got a region fails at its credentials,
 * before any request leaves the machine.
 */
export const noRegionEnv = (extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') || name.startsWith('SWITCHBOARD_')) delete env[name];
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
};
