import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { helpdeskApiFromEnvironment } from '#shared/api/lambda.ts';
import { logRequestId } from '#shared/observability/middleware.ts';

const api = helpdeskApiFromEnvironment();

/** /v1/… behind the HTTP API (IAM or JWT authorizer), or the local hub (development bearer token). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(logRequestId())
  .handler((event) => api(event));
