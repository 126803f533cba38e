import { describe, expect, it } from 'vitest';
import { webhookConnectors } from '#shared/channels/registry.ts';
import { routeKeyOf, WEBHOOK_ROUTES } from '#shared/local/routes.ts';
import { ALL_CHANNELS_CONTEXT, buildHub } from './support.ts';

describe('the local hub serves exactly the routes the CDK app deploys', () => {
  it('has the same route keys behind the HTTP API and on the local hub', () => {
    // Prepare
    const { template } = buildHub(ALL_CHANNELS_CONTEXT);
    // Act
    const deployed = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey as string,
    );
    const local = WEBHOOK_ROUTES.map(routeKeyOf);
    // Assess
    expect(new Set(local)).toEqual(new Set(deployed));
    expect(local).toHaveLength(deployed.length);
    expect(local).toContain('POST /webhooks/email/mailgun/mime');
  });

  it('serves each local route with the function the registry names for it', () => {
    // Act
    const byRoute = new Map(WEBHOOK_ROUTES.map((route) => [routeKeyOf(route), route.functionFile]));
    // Assess
    for (const [, connector] of webhookConnectors()) {
      for (const route of connector.routes) {
        for (const method of route.methods) {
          expect(byRoute.get(`${method} ${route.path}`)).toBe(`${connector.functionEntry}.ts`);
        }
      }
    }
  });
});
