import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * One client per cold start. Region and endpoint come from the standard SDK variables
 * (AWS_REGION, AWS_ENDPOINT_URL_SQS for a local engine). Short socket timeouts: ZEGO waits for
 * our answer, and a 503 it retries beats a hung request.
 */
export const sqsClient = new SQSClient({
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  // Send to the endpoint the SDK resolves (the regional one on AWS, AWS_ENDPOINT_URL_SQS locally),
  // not to the host inside the queue URL: local engines name hosts that do not resolve.
  useQueueUrlAsEndpoint: false,
});
