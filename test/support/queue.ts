import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Takes every message off a queue: receives and deletes until empty. Deleting is what unlocks the
 * next message of a FIFO group, and fauxqs hands out one message per group per receive.
 */
export async function drain(client: SQSClient, queueUrl: string): Promise<Message[]> {
  return drainWithAttributes(client, queueUrl, []);
}

/** `drain`, with the named message attributes (all by default). */
export async function drainWithAttributes(
  client: SQSClient,
  queueUrl: string,
  messageAttributeNames = ['All'],
): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        ...(messageAttributeNames.length > 0 && { MessageAttributeNames: messageAttributeNames }),
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
