import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

export interface LocalSqs {
  endpoint: string;
  client: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  stop: () => Promise<void>;
}

/**
 * Starts fauxqs, a real SQS engine in this process, on a free loopback port, with the FIFO queue
 * and its FIFO dead-letter queue shaped as in serverless.yml.
 */
export async function startLocalSqs({ maxReceiveCount = 5, visibilityTimeout = 30 } = {}): Promise<LocalSqs> {
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({ region: 'us-east-1', endpoint, credentials: localCredentials });
  const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'false' };
  const dlq = await client.send(
    new CreateQueueCommand({ QueueName: 'callbacks-dlq.fifo', Attributes: fifo }),
  );
  const dlqArn = await queueArn(client, dlq.QueueUrl);
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: 'callbacks.fifo',
      Attributes: {
        ...fifo,
        VisibilityTimeout: String(visibilityTimeout),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  if (!queue.QueueUrl || !dlq.QueueUrl) throw new Error('fauxqs created no queue');
  return {
    endpoint,
    client,
    queueUrl: queue.QueueUrl,
    deadLetterQueueUrl: dlq.QueueUrl,
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function queueArn(client: SQSClient, queueUrl: string | undefined): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error('queue has no ARN');
  return Attributes.QueueArn;
}

/**
 * Takes every message off the queue: receives and deletes until empty. Deleting is what unlocks
 * the next message of a FIFO group, and fauxqs hands out one message per group per receive.
 */
export async function drain(client: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}
