/*
 * A provider's URL as the contract publishes it. An event's `MediaRef.url` is a JSON Schema `uri`
 * (RFC 3986), while a provider's URL is whatever the WHATWG parser takes: a space or a non-ASCII
 * character in a path, `[1]` in a query, a backslash, a `%` not followed by two hex digits. The
 * WHATWG serialization (`href`, what `fetch` requests) percent-encodes most of that; what it leaves
 * outside RFC 3986 (`[ ] { } | ^ \` and backtick, `"` in a host, a second `#`, a stray `%`) is
 * percent-encoded here too. Every adapter that passes a provider's URL into an event goes through
 * `httpUri`, so a consumer validating events against the published schema never refuses one.
 */

/** RFC 3986 §2.2 and §2.3 in a path, a query or a fragment (pchar, `/`, `?`), and `%` before two hex digits. */
const OUTSIDE_RFC3986 = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-Fa-f]{2})/g;
/** The same in an authority, where `[` and `]` enclose an IPv6 address (the only place WHATWG puts them). */
const OUTSIDE_RFC3986_AUTHORITY = /[^A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]|%(?![0-9A-Fa-f]{2})/g;
/** RFC 3986 Appendix B: scheme, authority, path, query, fragment of a serialized URL. */
const COMPONENTS = /^([^:/?#]+:)(\/\/[^/?#]*)?([^?#]*)(\?[^#]*)?(#.*)?$/s;

const encodeOutside = (text: string, outside: RegExp): string =>
  text.replace(outside, (character) => encodeURIComponent(character));

/** A parsed URL's WHATWG serialization with what remains outside RFC 3986 percent-encoded. */
export const rfc3986Href = (url: URL): string => {
  const [, scheme = '', authority = '', path = '', query = '', fragment = ''] =
    COMPONENTS.exec(url.href) ?? [];
  return [
    scheme,
    authority && `//${encodeOutside(authority.slice(2), OUTSIDE_RFC3986_AUTHORITY)}`,
    encodeOutside(path, OUTSIDE_RFC3986),
    query && `?${encodeOutside(query.slice(1), OUTSIDE_RFC3986)}`,
    // Only the first `#` starts the fragment: a later one is a character of it, encoded (`#` is outside).
    fragment && `#${encodeOutside(fragment.slice(1), OUTSIDE_RFC3986)}`,
  ].join('');
};

/**
 * The WHATWG parser's URL of `value`, or undefined when it refuses it. Not `URL.canParse`: on Node
 * 22 its fast path, taken once a call site is hot (a warm Lambda), misreads a string stored as
 * one-byte Latin-1 whose host is not ASCII, and refuses what `new URL` takes (measured: after about
 * 6,300 calls, `http://aü.example/` read from JSON; before 2026-12-06 a warm Messenger webhook kept
 * such an attachment as unsupported, found by a property test that failed once in CI).
 */
export const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/**
 * A provider's http(s) URL as an RFC 3986 URI (the WHATWG serialization, the rest percent-encoded),
 * or undefined for a string the WHATWG parser refuses or another scheme (nothing the hub fetches).
 */
export const httpUri = (value: string): string | undefined => {
  const url = parseUrl(value);
  if (url === undefined) return undefined;
  return url.protocol === 'http:' || url.protocol === 'https:' ? rfc3986Href(url) : undefined;
};
