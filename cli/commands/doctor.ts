import { CommandFailedError, integer, parse } from '../args';
import { runChecklist } from '../doctor/checklist';
import { DEPLOYED_ONLY, localChecks } from '../doctor/local';
import { stageChecks } from '../doctor/stage';
import { TARGET_HELP, TARGET_OPTIONS } from '../target';

export const DOCTOR_HELP = `Usage: zego doctor [--appid A] [--timeout-ms T] [target]

Checks a deployed stage end to end (or the stack \`npm start\` runs) and prints a checklist: for
each check ok, warn, FAIL or skip, and one sentence saying what is wrong and what to do. A check
that needs one that failed is skipped, saying which. Exit code 1 when a check fails.

On a stage, in this order:
  credentials and region   AWS credentials found; the region (--region, AWS_REGION, your profile)
  stack                    the stage's stack is deployed, with every output the CLI reads
  callback secret          its SSM parameter exists, is a SecureString, parses, and serves appIds
  server secret            with reconciliation on: ZEGO's ServerSecret parameter, the same way
  alarm topic              the alarm topic has a confirmed subscription: alarms reach someone
  dead-letter queue        is empty
  heartbeat                the scheduled check completed within two of its intervals
  smoke round trip         \`zego smoke\`: a signed start and stop go in and the task stops
On the local stack: npm start runs, its endpoint answers, the dead-letter queue, the round trip.

  --appid A          the appid the round trip sends as (default: the first one served)
  --timeout-ms T     how long the round trip waits for the task to stop (default 60000)

${TARGET_HELP}

On AWS it needs what \`zego smoke\` needs, plus sqs:GetQueueAttributes, sns:ListSubscriptionsByTopic,
cloudwatch:DescribeAlarmsForMetric and cloudwatch:GetMetricData.`;

export const DOCTOR_OPTIONS = {
  appid: { type: 'string' },
  'timeout-ms': { type: 'string' },
  ...TARGET_OPTIONS,
} as const;

export async function doctor(args: string[]): Promise<void> {
  const { values } = parse(args, DOCTOR_OPTIONS);
  if (values.help) return void console.log(DOCTOR_HELP);
  const timeoutMs = integer(values['timeout-ms'], 'timeout-ms', 60_000, 1);
  const { stage, region, appid } = values;
  const again = stage
    ? `\`npx zego doctor --stage ${stage}${region ? ` --region ${region}` : ''}\``
    : '`npx zego doctor`';
  console.log(stage ? `doctor: stage ${stage}` : 'doctor: the local stack (npm start)');
  const checks = stage ? stageChecks({ stage, region, appid, timeoutMs }) : localChecks({ appid, timeoutMs });
  const { failed, warned } = await runChecklist(checks, console.log);
  if (!stage) console.log(`not checked here (deployed stages only): ${DEPLOYED_ONLY.join(', ')}`);
  if (failed > 0)
    throw new CommandFailedError(
      `${failed} check(s) failed: fix what each FAIL line says, then run ${again} again`,
    );
  console.log(`passed${warned ? `, with ${warned} warning(s): see each warn line` : ''}`);
}
