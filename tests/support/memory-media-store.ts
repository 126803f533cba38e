import type { MediaClaim, MediaFetchStore, MediaOutcome } from '#shared/store/media-fetches.ts';

/**
 * The media claim's rules (shared/store/media-fetches.ts) in memory, for the fetcher's unit tests;
 * the DynamoDB version is tested in tests/media/claim-race.test.ts.
 */
export const memoryMediaStore = () => {
  const items = new Map<
    string,
    { state: string; token?: string; attempts: number; outcome?: MediaOutcome }
  >();
  const erased = new Set<string>();
  const store: MediaFetchStore = {
    claim: async (request): Promise<MediaClaim> => {
      if (erased.has(request.hubMessageId)) return { kind: 'erased' };
      const id = `${request.hubMessageId}#${request.partIndex}`;
      const item = items.get(id);
      if (item?.outcome) return { kind: 'ended', outcome: item.outcome, attempts: item.attempts };
      if (item?.state === 'fetching') return { kind: 'busy' };
      const attempts = (item?.attempts ?? 0) + 1;
      items.set(id, { state: 'fetching', token: request.token, attempts });
      return { kind: 'claimed', attempts };
    },
    end: async (hubMessageId, partIndex, token, outcome) => {
      const item = items.get(`${hubMessageId}#${partIndex}`);
      if (!item) return 'erased';
      if (item.token !== token) return 'taken';
      items.set(`${hubMessageId}#${partIndex}`, { state: outcome.state, attempts: item.attempts, outcome });
      return 'ended';
    },
    release: async (hubMessageId, partIndex, token) => {
      const item = items.get(`${hubMessageId}#${partIndex}`);
      if (item?.token === token)
        items.set(`${hubMessageId}#${partIndex}`, { state: 'waiting', attempts: item.attempts });
    },
  };
  return { store, items, erased };
};
