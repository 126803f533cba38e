import type { Referral } from '#shared/contract/types.ts';
import type { MetaReferral } from './schema.ts';

/** Meta's referral (m.me link, ad, chat plugin, QR code…) in the contract's terms. */
export const toReferral = (referral: MetaReferral): Referral => {
  const mapped: Referral = {
    source: referral.source,
    type: referral.type,
    ref: referral.ref,
    adId: referral.ad_id,
    sourceUrl: referral.referer_uri,
    headline: referral.ads_context_data?.ad_title,
    // The ad's media and post, as data: the hub fetches none of these URLs.
    imageUrl: referral.ads_context_data?.photo_url,
    videoUrl: referral.ads_context_data?.video_url,
    postId: referral.ads_context_data?.post_id,
    // A product ad names its product in the ad's data, a Shops product referral beside it: one product either way.
    productId: referral.ads_context_data?.product_id ?? referral.product?.id,
    flowId: referral.ads_context_data?.flow_id,
  };
  return Object.fromEntries(Object.entries(mapped).filter(([, value]) => value !== undefined)) as Referral;
};
