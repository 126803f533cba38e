import type { MiddlewareObj } from '@middy/core';
import { setLogRequestId } from './logger.ts';

/** Puts the Lambda request id on every log line of the invocation, and takes it off afterwards. */
export const logRequestId = (): MiddlewareObj => ({
  name: 'switchboardLogRequestId',
  before: (request) => {
    setLogRequestId(request.context.awsRequestId);
  },
  after: () => {
    setLogRequestId(undefined);
  },
  onError: () => {
    setLogRequestId(undefined);
  },
});
