import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScale, type ScaleResult } from '../../bench/scale.ts';

/*
 * The README's scale table and bench/README.md's quote what `npm run bench -- --only=scale` prints:
 * each row's figures against the model over the saved AWS section (bench/results/latest.json).
 */

const root = join(import.meta.dirname, '../..');
const HEADER = '| messages/s | webhook requests/s |';

/** The rows of the scale table in a Markdown file, each as its cells. */
const scaleRows = (file: string): string[][] => {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(HEADER));
  expect(start, `${file} has the scale table`).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
};

/** Every figure in a cell, as numbers (thousands separators and units dropped). */
const figures = (cell: string): number[] =>
  [...cell.replaceAll(',', '').matchAll(/\d+(?:\.\d+)?/g)].map((match) => Number(match[0]));

/** A figure as the command prints it (bench/report.ts count: one decimal at most). */
const shown = (value: number): number =>
  Number(value.toLocaleString('en-US', { maximumFractionDigits: 1 }).replaceAll(',', ''));

const printed = (row: ScaleResult, resource: string): number =>
  shown(row.loads.find((entry) => entry.resource.startsWith(resource))?.rate ?? Number.NaN);

describe("the README's scale table", () => {
  const report = runScale(undefined, join(root, 'bench/results'));

  it.each(['README.md', 'bench/README.md'])('in %s quotes what the model prints', (file) => {
    // Act
    const rows = scaleRows(file);
    // Assess
    expect(rows.map((cells) => figures(cells[0] ?? '')[0])).toEqual(
      report.rows.map((row) => row.messagesPerSecond),
    );
    for (const [index, row] of report.rows.entries()) {
      const cells = rows[index] ?? [];
      const { webhook, recorder, sender, mediaFetcher } = row.concurrency;
      expect(figures(cells[1] ?? '')).toEqual([shown(row.webhookRequestsPerSecond)]);
      expect(figures(cells[2] ?? '')).toEqual(
        [webhook + recorder + sender + mediaFetcher, webhook, recorder, sender, mediaFetcher].map(shown),
      );
      expect(figures(cells[3] ?? '')).toEqual([
        printed(row, 'DynamoDB write units, table'),
        printed(row, 'DynamoDB read units, table'),
      ]);
      expect(figures(cells[4] ?? '')).toEqual([
        printed(row, 'DynamoDB index partition STATUS#open'),
        printed(row, 'DynamoDB index partition WAITING'),
      ]);
      expect(figures(cells[6] ?? '').at(-1)).toBe(row.first.atMessagesPerSecond);
      expect(figures(cells[7] ?? '')).toEqual([row.dollarsPerMillion]);
    }
  });
});
