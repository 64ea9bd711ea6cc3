import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { FAILURE_ATTRIBUTE } from '../../lib/queue/dead-letter';
import { BODY_HASH_ATTRIBUTE, GROUP_ATTRIBUTE, HELD_BODY_HASH_ATTRIBUTE } from '../../lib/queue/keep-refused';
import { printable } from '../../lib/text/printable';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { CommandFailedError, parse, UsageError } from '../args';
import { explainAwsError, resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target } from '../target';

export const DLQ_HELP = `Usage: zego dlq [list|redrive|refused|replay ID] [--json] [target]

  list      (default) the callbacks in the dead-letter queue: ones the consumer failed 5 times
  redrive   moves them back to the callback queue to be processed again. The consumer is
            idempotent, so a callback that was in fact processed changes nothing.
            On AWS this starts SQS's own message-move task; locally, or where SQS refuses
            that task, messages are moved one by one.
  refused   the bodies refused (401 signature_reused) because another body holds their
            signature: one of each pair is a forgery. Never redriven with the rest.
  replay ID moves the refused body with message id ID to the callback queue, once you have
            judged it genuine (docs/operations.md, "Forged callbacks").

  --json    one JSON object per message (list)

A FIFO queue hands out only the first waiting message of each task at a time, so "list" shows the
first callback of each stuck task, with the total count.

${TARGET_HELP}`;

export const DLQ_OPTIONS = {
  json: { type: 'boolean', default: false },
  ...TARGET_OPTIONS,
} as const;

export async function dlq(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, DLQ_OPTIONS, true);
  if (values.help) return void console.log(DLQ_HELP);
  const [action = 'list', ...extra] = positionals;
  const arity = action === 'replay' ? 1 : 0;
  if (!['list', 'redrive', 'refused', 'replay'].includes(action) || extra.length !== arity)
    throw new UsageError(
      `"${positionals.join(' ')}" is not a dlq action: give list, redrive, refused or replay <message id>`,
    );
  const target = resolveTarget(values);
  try {
    if (action === 'list') await list(target, values.json);
    else if (action === 'refused') await list(target, values.json, 'refused');
    else if (action === 'replay') await replay(target, extra[0] ?? '');
    else await redrive(target);
  } catch (error) {
    explainAwsError(error, target);
  }
}

async function list(target: Target, json: boolean, which: 'dead-lettered' | 'refused' = 'dead-lettered') {
  const queueUrl = which === 'refused' ? await target.refusedQueueUrl() : await target.deadLetterQueueUrl();
  const total = await queueDepth(target.sqs, queueUrl);
  // Received with a short visibility timeout: the messages are back in the queue seconds later.
  const { Messages = [] } = await target.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 2,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: [FAILURE_ATTRIBUTE, BODY_HASH_ATTRIBUTE, HELD_BODY_HASH_ATTRIBUTE],
    }),
  );
  if (json) {
    for (const message of Messages) console.log(JSON.stringify(describe(message)));
    return;
  }
  const where = which === 'refused' ? 'refused (signature reused)' : 'in the dead-letter queue';
  console.log(`${total} callback(s) ${where} of ${target.description}`);
  for (const message of Messages) {
    const { callback, receivedAt, groupId, messageId, why } = describe(message);
    const { reconciliation, hashes } = describe(message);
    const shown = callback
      ? `appid=${text(callback.appid)} event=${text(callback.event)} seq=${text(callback.seq)} task=${text(callback.task_id ?? '')}`
      : reconciliation
        ? `reconciled stop: appid=${text(reconciliation.appid)} seq=${text(reconciliation.seq)} task=${text(reconciliation.task_id)}`
        : '(not a message of ours)';
    console.log(
      `  ${messageId}  group=${text(groupId ?? '')}  ${shown}  received ${text(receivedAt ?? '?')}`,
    );
    console.log(`      why: ${text(why, 200)}`);
    if (hashes.bodyHash)
      console.log(`      body ${hashes.bodyHash}, the signature's holder ${hashes.heldBodyHash}`);
  }
}

/** Values from a queue message may hold anything a caller sent: escaped for the terminal. */
const text = (value: unknown, max = 80) => printable(String(value), max);

function describe(message: Message) {
  let parsed: {
    receivedAt?: string;
    callback?: Record<string, string>;
    reconciliation?: Record<string, string>;
  } = {};
  try {
    parsed = JSON.parse(message.Body ?? '');
  } catch {
    // a poison message: shown without its callback
  }
  return {
    messageId: message.MessageId,
    groupId: message.Attributes?.MessageGroupId,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    receivedAt: parsed.receivedAt,
    callback: parsed.callback,
    reconciliation: parsed.reconciliation,
    /** The consumer's reason for a message it sent here at once; otherwise it failed every delivery. */
    hashes: {
      bodyHash: message.MessageAttributes?.[BODY_HASH_ATTRIBUTE]?.StringValue,
      heldBodyHash: message.MessageAttributes?.[HELD_BODY_HASH_ATTRIBUTE]?.StringValue,
    },
    why:
      message.MessageAttributes?.[FAILURE_ATTRIBUTE]?.StringValue ??
      'failed on every delivery the queue allows (maxReceiveCount, 5 by default); the consumer logged each failure (outcome "failed", with this messageId)',
  };
}

async function redrive(target: Target) {
  const [dlqUrl, queueUrl] = [await target.deadLetterQueueUrl(), await target.queueUrl()];
  if (!target.local) {
    try {
      const [source, destination] = [await arn(target, dlqUrl), await arn(target, queueUrl)];
      const { TaskHandle } = await target.sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: source, DestinationArn: destination }),
      );
      console.log(
        `started SQS message-move task ${TaskHandle}; \`aws sqs list-message-move-tasks --source-arn ${source}\` shows its progress`,
      );
      return;
    } catch (error) {
      console.log(
        `SQS's message-move task was refused (${(error as Error).name}); moving messages one by one`,
      );
    }
  }
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await target.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      // A new de-duplication id: the original one may still be inside SQS's 5-minute window.
      await target.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: message.Body ?? '',
          MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
          MessageDeduplicationId: `redrive:${message.MessageId}`,
        }),
      );
      await target.sqs.send(
        new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      moved += 1;
    }
  }
  console.log(`moved ${moved} callback(s) back to the callback queue of ${target.description}`);
}

/**
 * Moves one refused body, found by its message id, to the callback queue. The consumer takes it as
 * any callback: once per identity, so a genuine body whose identity a forgery already used changes
 * nothing (docs/operations.md says what to do then).
 */
async function replay(target: Target, messageId: string) {
  const [refusedUrl, queueUrl] = [await target.refusedQueueUrl(), await target.queueUrl()];
  // `list` hides what it shows for 2 s: look for up to 5 s before saying it is not there.
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const { Messages = [] } = await target.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: refusedUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 2,
        WaitTimeSeconds: 1,
        MessageAttributeNames: [GROUP_ATTRIBUTE],
      }),
    );
    const found = Messages.find((message) => message.MessageId === messageId);
    if (!found) continue;
    await target.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: found.Body ?? '',
        MessageGroupId: found.MessageAttributes?.[GROUP_ATTRIBUTE]?.StringValue ?? 'replay',
        MessageDeduplicationId: `replay:${found.MessageId}`,
      }),
    );
    await target.sqs.send(
      new DeleteMessageCommand({ QueueUrl: refusedUrl, ReceiptHandle: found.ReceiptHandle }),
    );
    console.log(`replayed ${text(messageId)} to the callback queue of ${target.description}`);
    return;
  }
  throw new CommandFailedError(
    `no refused body with message id ${text(messageId)} in ${target.description} (\`zego dlq refused\` lists them)`,
  );
}

async function arn(target: Target, queueUrl: string): Promise<string> {
  const { Attributes } = await target.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`no ARN for ${queueUrl}`);
  return Attributes.QueueArn;
}
