import { API_CATCH_ALL, API_ROUTES } from '#shared/api/operations.ts';
import { type WebhookConnectorId, webhookConnectors } from '#shared/channels/registry.ts';

/**
 * The HTTP API's routes and the Lambda entry file behind each, from the same connector registry the
 * CDK app wires them from (shared/channels/registry.ts). The local hub serves exactly these;
 * anything else is API Gateway's 404.
 */
export interface LocalRoute {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** File under functions/ exporting `handler`. */
  readonly functionFile: string;
}

export const WEBHOOK_ROUTES: readonly LocalRoute[] = webhookConnectors().flatMap(([, connector]) =>
  connector.routes.flatMap((route) =>
    route.methods.map((method) => ({
      method,
      path: route.path,
      functionFile: `${connector.functionEntry}.ts`,
    })),
  ),
);

export const routeKeyOf = (route: Pick<LocalRoute, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;

/**
 * A path template's `{name}` segment matches one non-empty segment, as an HTTP API route's does; a
 * last `{name+}` (greedy) matches the rest, at least one character.
 */
const pathMatches = (template: string, rawPath: string): boolean => {
  if (!template.includes('{')) return template === rawPath;
  if (template.endsWith('+}')) {
    const prefix = template.slice(0, template.lastIndexOf('{'));
    return rawPath.startsWith(prefix) && rawPath.length > prefix.length;
  }
  const want = template.split('/');
  const got = rawPath.split('/');
  return (
    want.length === got.length &&
    want.every((part, index) => (part.startsWith('{') ? (got[index] ?? '') !== '' : part === got[index]))
  );
};

/**
 * HTTP APIs match the path exactly (no trailing-slash folding) and answer 404, not 405, for a wrong
 * method; a route with a greedy path takes what no more specific route of its method does (listed
 * after those).
 */
export const matchRoute = (
  routes: readonly LocalRoute[],
  method: string,
  rawPath: string,
): LocalRoute | undefined =>
  routes.find((route) => route.method === method.toUpperCase() && pathMatches(route.path, rawPath));

/** The helpdesk API's routes (shared/api/operations.ts), served by functions/helpdesk-api.ts. */
export const HELPDESK_API_ROUTES: readonly LocalRoute[] = [
  ...API_ROUTES,
  // Last: what no route above takes (the router answers its 404 or 405).
  ...API_CATCH_ALL.methods.map((method) => ({ method, path: API_CATCH_ALL.path })),
].map((route) => ({ method: route.method, path: route.path, functionFile: 'helpdesk-api.ts' }));

/** Local-only endpoint describing the running hub, so the replay kit and the example consumer find the emulators. */
export const HUB_INFO_PATH = '/_switchboard/local';

/** Local stand-in for SES → SNS → Lambda: the simulated SES posts its event notifications here. */
export const LOCAL_SES_EVENTS_PATH = '/_local/aws/ses-events';

/** Each sample folder (`events/<folder>/`) with the connector its samples are replayed to. */
export const SAMPLE_FOLDERS: ReadonlyMap<string, WebhookConnectorId> = new Map(
  webhookConnectors().map(([id, connector]) => [connector.samples.folder, id]),
);

/** The URL path a connector's provider is told to call (Mailgun's raw-MIME route, for instance). */
export const providerRoutePath = (id: WebhookConnectorId): string => {
  const connector = webhookConnectors().find(([candidate]) => candidate === id)?.[1];
  const route = connector?.routes[connector.providerRoute];
  if (!route) throw new Error(`connector ${id} has no provider route`);
  return route.path;
};
