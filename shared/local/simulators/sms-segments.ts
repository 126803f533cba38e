/**
 * How many SMS segments a body takes: GSM-7 (160 septets, 153 per part once split, extension
 * characters counting twice) unless one character is outside it, then UCS-2 (70 UTF-16 units, 67
 * per part).
 */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

export const smsSegments = (body: string): number => {
  let septets = 0;
  for (const character of body) {
    if (GSM_BASIC.has(character)) septets += 1;
    else if (GSM_EXTENSION.has(character)) septets += 2;
    else {
      const units = body.length;
      return units <= 70 ? 1 : Math.ceil(units / 67);
    }
  }
  if (septets === 0) return 1;
  return septets <= 160 ? 1 : Math.ceil(septets / 153);
};
