/** Run sizes: `--quick` trades precision for a run of well under a minute or two. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Sections to run; all when empty. */
  readonly only: ReadonlySet<string>;
}

export const SECTIONS = [
  'webhook',
  'cold-start',
  'end-to-end',
  'aws-cost',
  'scale',
  'linear-time',
  'api',
  'outbound',
  'media',
] as const;
export type Section = (typeof SECTIONS)[number];

export const parseOptions = (argv: readonly string[]): BenchOptions => {
  const only = new Set<string>();
  for (const argument of argv) {
    const match = /^--only=(.+)$/.exec(argument);
    if (match?.[1]) for (const name of match[1].split(',')) only.add(name.trim());
  }
  for (const name of only) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`unknown section ${name}`);
  }
  return { quick: argv.includes('--quick'), only };
};

export const wants = (options: BenchOptions, section: Section): boolean =>
  options.only.size === 0 || options.only.has(section);
