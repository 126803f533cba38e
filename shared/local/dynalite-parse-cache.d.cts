/** Types of dynalite-parse-cache.cjs (plain CommonJS, for the emulator thread). */

/** What dynalite's generated parsers take: the expression and, as `context`, the request's names and values. */
export interface ExpressionParser {
  parse(input: string, options: { readonly context: Record<string, unknown> }): unknown;
}

export interface ParseMemoStats {
  /** Parses replayed from the memo. */
  hits: number;
  /** Parses made and offered to the memo. */
  misses: number;
  /** Parses made every time: they read values' content, or their tree copied a value. */
  bypassed: number;
}

export function memoizeParser(
  parser: ExpressionParser,
  options?: { readonly limit?: number },
): ParseMemoStats;

export function memoizeDynaliteParsers(
  dynaliteDir: string,
  options?: { readonly limit?: number },
): Record<'updateParser' | 'conditionParser' | 'projectionParser', ParseMemoStats>;
