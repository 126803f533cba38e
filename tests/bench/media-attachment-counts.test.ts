import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_FETCHER_TABLE_ACTIONS } from '#infra/constructs/media-fetcher.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import {
  type CountingMediaProvider,
  startCountingMediaProvider,
} from '#tests/support/counting-media-provider.ts';
import { MEDIA_ATTACHMENT, measureMediaPath, mediaCallsPerAttachment } from '../../bench/media-path.ts';

/*
 * The benchmark's cost per media message (`npm run bench -- --only=media`) prices the calls counted
 * here: WhatsApp image messages through the real webhook path, recorder and media fetcher over the
 * emulators, every AWS command of the recorder's media enqueue and of the fetcher counted per
 * attachment. If the media path's calls change, this fails until MEDIA_ATTACHMENT follows.
 */
describe('AWS calls of one inbound attachment', () => {
  let emulators: RunningEmulators;
  let provider: CountingMediaProvider;
  beforeAll(async () => {
    emulators = await startEmulators();
    provider = await startCountingMediaProvider();
  });
  afterAll(async () => {
    await provider?.close();
    await emulators?.stop();
  });

  it('match the benchmark’s committed row, for an image stored in one PutObject', async () => {
    // Prepare: three messages with a 200 KB image each, in one conversation
    const messages = 3;

    // Act
    const usage = await measureMediaPath(emulators, provider, {
      messages,
      imageBytes: 200 * 1024,
      runId: 'counts',
    });

    // Assess
    expect(usage.fetcher).toMatchObject({
      jobs: messages,
      invocations: messages,
      stored: messages,
      failed: 0,
    });
    expect(usage.fetcher.downloads).toBe(messages);
    expect(usage.pipeline.recorder.mediaQueue).toMatchObject({ requests: messages, entries: messages });
    expect(mediaCallsPerAttachment(usage)).toEqual(MEDIA_ATTACHMENT);
    // Nothing the fetcher's IAM policy does not allow.
    const dynamoActions = Object.keys(usage.fetcher.commands)
      .filter((name) => ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan'].includes(name))
      .map((name) => `dynamodb:${name}`);
    for (const action of dynamoActions) expect(MEDIA_FETCHER_TABLE_ACTIONS).toContain(action);
  });
});
