/**
 * A Content-Type's media type without its parameters, in lower case (`Application/JSON;
 * charset=utf-8` → `application/json`); '' for none. One pass up to the first `;`, whatever follows.
 */
export const mediaTypeOf = (contentType: string | undefined): string => {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
};
