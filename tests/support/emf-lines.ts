/** One embedded-metric-format line a function wrote to stdout (Powertools Metrics' output). */
export interface EmfLine {
  readonly service?: string;
  readonly _aws?: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: ReadonlyArray<{ readonly Name: string }>;
    }>;
  };
  readonly [field: string]: unknown;
}

/** The embedded-metric-format lines among the chunks written to stdout (other lines skipped). */
export const emfLines = (written: readonly unknown[]): EmfLine[] =>
  written
    .flatMap((chunk) => String(chunk).split('\n'))
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as EmfLine;
        return parsed._aws ? [parsed] : [];
      } catch {
        return [];
      }
    });
