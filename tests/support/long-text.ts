import fc from 'fast-check';

/*
 * Texts for a property about where a long text is cut. fast-check 4 sizes a string or an array by
 * its default `size: 'small'` whatever its maxLength (a string of up to 20,000 graphemes comes out a
 * few dozen code units long), so such a property never met a text long enough to be cut; these ask
 * for `size: 'max'`. A test using them should still count the texts past its limit and expect some.
 */

/** Words of a few scripts (two-byte letters, a surrogate pair) as a cut at whitespace meets them. */
const word = fc.string({
  unit: fc.constantFrom('a', 'Z', '7', 'é', 'α', 'ж', '中', '😀'),
  minLength: 1,
  maxLength: 12,
});
const gap = fc.constantFrom(' ', '\n', '\n\n', '. ', '\t');

/**
 * Either up to `maxLength` graphemes of any kind (long runs without whitespace: cut at a word or
 * grapheme boundary), or up to `maxLength / 8` words between spaces, line breaks and blank lines
 * (cut at whitespace): both reach about `maxLength` code units, and pass half of it in about half
 * the runs or more.
 */
export const longText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength, size: 'max' }),
    fc
      .array(fc.tuple(word, gap), { minLength: 1, maxLength: Math.ceil(maxLength / 8), size: 'max' })
      .map((words) => words.map(([letters, after]) => letters + after).join('')),
  );
