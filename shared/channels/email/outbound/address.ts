/** One plain addr-spec: no display name, no list, nothing a parser could read as two addresses. */
const ADDRESS = /^[^\s@<>()[\]",;:\\]{1,64}@[^\s@<>()[\]",;:\\]{1,255}$/u;

/**
 * One plain address the reply's MIME writes as it is (./mime.ts), and the prepare accepts as the
 * conversation's (./prepare.ts): no quoted local part, no comment, no list.
 */
export const isPlainAddress = (address: string): boolean => ADDRESS.test(address);
