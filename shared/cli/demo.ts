import { localSecretsFromEnv } from '#shared/config/secrets.ts';
import type { CliOutput } from '#shared/local/cli-output.ts';
import { listConversations } from '#shared/local/conversations.ts';
import { runTwoWayDemo, type TwoWayDemoSummary } from '#shared/local/demo-two-way.ts';
import { conversationRow, renderTable } from '#shared/local/describe.ts';
import { localClients } from '#shared/local/emulators.ts';
import type { LocalHub } from '#shared/local/hub.ts';
import { replaySamples } from '#shared/local/replay-kit.ts';
import { collectSamples, DEFAULT_EVENTS_DIR } from '#shared/local/samples.ts';

export interface DemoSummary {
  readonly sent: number;
  readonly accepted: number;
  readonly conversations: number;
  readonly twoWay: TwoWayDemoSummary;
}

/**
 * Whether the demo did what it shows: every sample accepted, and the reply on each channel sent and
 * at its furthest status. `npm start -- --demo --exit` exits 1 otherwise, so a script or CI running
 * it sees a broken hub (before 2026-12-05 it exited 0 whatever it printed; found by a review).
 */
export const demoSucceeded = (summary: DemoSummary): boolean =>
  summary.accepted === summary.sent && summary.twoWay.replies.every((reply) => reply.outcome === 'sent');

/**
 * Replays every sample into a running hub, waits for the recorder, prints the conversations
 * (contacts masked); then answers a customer on each channel and shows a stored photo (./demo-two-way.ts).
 */
export const runDemo = async (
  hub: LocalHub,
  output: CliOutput,
  { eventsDir = DEFAULT_EVENTS_DIR, hubStaysUp = true }: { eventsDir?: string; hubStaysUp?: boolean } = {},
): Promise<DemoSummary> => {
  const { samples } = collectSamples([eventsDir]);
  output.line(`demo: replaying ${samples.length} sample(s) from ${eventsDir}`);
  const result = await replaySamples({
    samples,
    targetBaseUrl: hub.urls.base,
    secrets: localSecretsFromEnv(),
    onProgress: (done, total) => output.status(`demo: ${done}/${total} sent`),
  });
  output.line(`demo: ${result.accepted} accepted, ${result.rejected} rejected`);
  for (const [reason, count] of result.rejections) output.line(`  ${count} × ${reason}`);
  if (!(await hub.waitForRecorder(30_000)))
    output.line('demo: the recorder has not drained the ingest queue yet');
  const clients = localClients(hub.endpoints);
  try {
    const conversations = await listConversations(clients.dynamodb, hub.resources.tableName);
    output.line('');
    output.line(
      renderTable(
        ['channel', 'contact', 'status', 'messages', 'unread', 'reply window closes'],
        conversations
          .map(conversationRow)
          .map((row) => [
            row.channel,
            row.contact,
            row.status,
            row.messages,
            row.unread,
            row.replyWindowCloses,
          ]),
      ),
    );
    output.line(`${conversations.length} conversation(s)`);
    const twoWay = await runTwoWayDemo(hub, output, { hubStaysUp });
    return { sent: result.sent, accepted: result.accepted, conversations: conversations.length, twoWay };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
};
