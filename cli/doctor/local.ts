import { localStateFile } from '../../tools/local-stack/defaults';
import { queueDepth } from '../../tools/local-stack/queue-depth';
import { postCallback } from '../../tools/zego-fake/delivery';
import { localSmokeTarget, smokeRoundTrip } from '../commands/smoke';
import { explainAwsError, resolveTarget, runningLocalStack } from '../target';
import { type Check, fail, ok } from './checklist';

/** What doctor checks on a deployed stage only, named when it runs against `npm start`. */
export const DEPLOYED_ONLY = [
  'credentials and region',
  'the stack and its outputs',
  'the callback secret parameter',
  'the ServerSecret',
  'the alarm topic',
  'the heartbeat',
];

/** The checks that apply to the stack `npm start` runs. */
export function localChecks({ appid, timeoutMs }: { appid?: string; timeoutMs: number }): Check[] {
  return [
    {
      name: 'local stack',
      run: async () => {
        runningLocalStack({ localOnly: true });
        return ok(`npm start runs (state file ${localStateFile()})`);
      },
    },
    {
      name: 'endpoint',
      needs: ['local stack'],
      run: async () => {
        const { callbackUrl } = runningLocalStack();
        // An empty body: refused with a 4xx, and nothing is queued. Any answer will do.
        const attempt = await postCallback(callbackUrl, '{}', 'application/json', 5_000);
        if (attempt.status === undefined)
          return fail(`${callbackUrl} does not answer (${attempt.error}): is \`npm start\` still running?`);
        return ok(`${callbackUrl} answers`);
      },
    },
    {
      name: 'dead-letter queue',
      needs: ['local stack'],
      run: async () => {
        const target = resolveTarget({});
        const depth = await queueDepth(target.sqs, await target.deadLetterQueueUrl()).catch((error) =>
          explainAwsError(error, target),
        );
        if (depth === 0) return ok('empty');
        return fail(
          `${depth} callback(s) wait in the dead-letter queue: \`npx zego dlq\` lists them and why; fix the cause, then \`npx zego dlq redrive\``,
        );
      },
    },
    {
      name: 'smoke round trip',
      needs: ['endpoint'],
      run: async () => {
        const run = await smokeRoundTrip(localSmokeTarget(), { appid, timeoutMs, log: () => {} });
        return ok(
          `a signed mix_start and mix_stop (appid ${run.appid}) went in and the task stopped after ${run.ms} ms; what it wrote is removed`,
        );
      },
    },
  ];
}
