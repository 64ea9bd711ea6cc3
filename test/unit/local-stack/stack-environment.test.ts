import { describe, expect, it } from 'vitest';
import { readStack } from '../../../tools/local-stack/stack-definition';
import { functionEnvironment } from '../../../tools/local-stack/stack-resources';

describe('the functions environment in serverless.yml', () => {
  it("tells the consumer the callback queue's maxReceiveCount", () => {
    const stack = readStack();
    const redrive = stack.resources.Resources.CallbackQueue?.Properties.RedrivePolicy as {
      maxReceiveCount: number;
    };
    const env = functionEnvironment('consumer', {
      TasksTable: 'tasks',
      IdempotencyTable: 'idempotency',
      CallbackDeadLetterQueue: 'dlq',
    });
    expect(redrive.maxReceiveCount).toBeGreaterThan(0);
    expect(env.MAX_RECEIVE_COUNT).toBe(String(redrive.maxReceiveCount));
  });
});
