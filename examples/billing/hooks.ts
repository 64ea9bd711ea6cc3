/**
 * An example of lib/hooks.ts that does real work (docs/hooks.md, "An example to copy"): each stopped
 * run becomes one billing record in a DynamoDB table of yours, named by the hook setting
 * BILLING_TABLE. To use it, copy this file over lib/hooks.ts (fix the two import paths), give the
 * consumer `dynamodb:PutItem` on that table (stage parameter hookPolicyArns), and set BILLING_TABLE
 * (an SSM parameter under hookParametersPath; HOOK_SETTINGS for npm start).
 *
 * Once per run, even when the hook runs again: the pipeline calls onMixStopped once per run, but a
 * hook that fails part-way is called again, so the record is written only if it is not there yet,
 * keyed on the run's id.
 */
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Hooks } from '../../lib/hook-contract';
import { hookSetting } from '../../lib/hook-settings';

/** Created once per container, outside the handler, as the SDK advises. */
const dynamo = new DynamoDBClient({});

export function billingHooks(client: DynamoDBClient = dynamo): Hooks {
  return {
    async onMixStarted({ runId }, { logger }) {
      logger.info('mix started', { runId });
    },

    async onMixStopped(event, { logger }) {
      const { runId, task } = event;
      const table = await hookSetting('BILLING_TABLE');
      // An inferred stop's time is an upper bound (the check's), so its duration is too.
      const seconds =
        task.startedAt !== undefined && task.stoppedAt !== undefined ? task.stoppedAt - task.startedAt : 0;
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              runId: { S: runId },
              appid: { S: task.appid },
              taskId: { S: task.task_id },
              seconds: { N: String(Math.max(0, seconds)) },
              inferred: { BOOL: event.inferred },
            },
            ConditionExpression: 'attribute_not_exists(runId)',
          }),
        );
        logger.info('run billed', { runId, seconds });
      } catch (error) {
        // Written by an earlier call of this hook for the same run: nothing more to do.
        if (error instanceof ConditionalCheckFailedException) return;
        throw error;
      }
    },

    async onMixOrphaned({ runId, runningSeconds }, { logger }) {
      logger.warn('mix running with no stop', { runId, runningSeconds });
    },
  };
}

/** @public (what lib/hooks.ts exports) */
export const hooks = billingHooks();
