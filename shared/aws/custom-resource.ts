import * as v from 'valibot';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { looseObject, nonEmptyString, object, parseOrThrow } from '#shared/validation/schema.ts';

/*
 * A CloudFormation custom resource served by a hub function directly (no provider framework): the
 * function receives the request, does its work and PUTs its answer to the request's pre-signed
 * `ResponseURL`. Whatever happens it answers, or the stack would wait an hour for it.
 */

const CustomResourceEventSchema = object({
  RequestType: v.picklist(['Create', 'Update', 'Delete']),
  ResponseURL: v.pipe(nonEmptyString(), v.url()),
  StackId: nonEmptyString(),
  RequestId: nonEmptyString(),
  LogicalResourceId: nonEmptyString(),
  PhysicalResourceId: v.optional(nonEmptyString()),
  ResourceProperties: looseObject({}),
});
export type CustomResourceEvent = v.InferOutput<typeof CustomResourceEventSchema>;

/** Throws on anything that is no CloudFormation request: there is no URL to answer. */
export const parseCustomResourceEvent = (input: unknown): CustomResourceEvent =>
  parseOrThrow(CustomResourceEventSchema, input);

/** The PUT of the answer; `fetch` in Lambda. */
export type ResponsePut = (
  url: string,
  init: { method: 'PUT'; headers: Record<string, string>; body: string },
) => Promise<{ readonly ok: boolean; readonly status: number }>;

export interface CustomResourceOptions {
  /** Kept across updates, so CloudFormation never deletes the resource to replace it. */
  readonly physicalResourceId: string;
  readonly logger: Logger;
  readonly put?: ResponsePut;
}

/**
 * Runs `work` on Create and Update (Delete does nothing) and answers CloudFormation: SUCCESS, or
 * FAILED with the error's name, so a failed step rolls the deployment back. The answer's own
 * failure is thrown: Lambda retries the asynchronous invocation twice.
 */
export const serveCustomResource = async (
  event: CustomResourceEvent,
  work: (properties: Record<string, unknown>) => Promise<void>,
  options: CustomResourceOptions,
): Promise<void> => {
  let failure: string | undefined;
  if (event.RequestType !== 'Delete') {
    try {
      await work(event.ResourceProperties);
    } catch (error) {
      failure = errorNameOf(error);
      options.logger.error('custom resource failed', { errorName: failure });
    }
  }
  const body = JSON.stringify({
    Status: failure === undefined ? 'SUCCESS' : 'FAILED',
    Reason: failure === undefined ? 'done' : `failed with ${failure}; see the function's log`,
    PhysicalResourceId: options.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The pre-signed URL signs no content type: an empty one, as CloudFormation's own helper sends.
  const put = options.put ?? fetch;
  const answer = await put(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!answer.ok) throw new Error(`CloudFormation refused the answer with status ${answer.status}`);
};
