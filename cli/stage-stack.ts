import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { GetParameterCommand, type Parameter, type SSMClient } from '@aws-sdk/client-ssm';
import { CommandFailedError } from './args';
import { awsProblem } from './aws';
import { SERVICE } from './target';

/** A deployed stage's CloudFormation stack, as DescribeStacks tells it. */
export interface StageStack {
  name: string;
  stage: string;
  status: string;
  /** When it was last created or updated. */
  changedAt?: Date;
  outputs: Record<string, string>;
}

export const stackName = (stage: string) => `${SERVICE}-${stage}`;

/** How to deploy the stage, for the sentences that say so. */
export const deployCommand = (stage: string, region: string) =>
  `\`npx serverless deploy --stage ${stage} --region ${region}\``;

/**
 * The stage's stack, or undefined when there is none in the region. Credentials and region
 * problems, and any other failure, throw as one sentence.
 */
export async function describeStageStack(
  stage: string,
  cloudformation: CloudFormationClient,
): Promise<StageStack | undefined> {
  const name = stackName(stage);
  let described: DescribeStacksCommandOutput;
  try {
    described = await cloudformation.send(new DescribeStacksCommand({ StackName: name }));
  } catch (error) {
    // CloudFormation answers a stack that does not exist with a ValidationError.
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))
      return undefined;
    throw new CommandFailedError(
      awsProblem(error) ?? `cannot read stack ${name}: ${(error as Error).message}`,
    );
  }
  const found = described.Stacks?.[0];
  if (!found) return undefined;
  return {
    name,
    stage,
    status: found.StackStatus ?? 'UNKNOWN',
    changedAt: found.LastUpdatedTime ?? found.CreationTime,
    outputs: Object.fromEntries((found.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
  };
}

/** One output of the stack; a stack deployed from an older version may lack it. */
export function stackOutput(stack: StageStack, key: string, region: string): string {
  const value = stack.outputs[key];
  if (value === undefined)
    throw new CommandFailedError(
      `stack ${stack.name} has no output ${key}: deploy this version (${deployCommand(stack.stage, region)})`,
    );
  return value;
}

/** The appids a stage serves with a plain secret (its `ServedAppIds` output, `appids:` and a list). */
export const servedAppIdsText = (stack: StageStack) =>
  (stack.outputs.ServedAppIds ?? 'appids:').replace(/^appids:/, '');

/**
 * An SSM parameter holding a secret, decrypted; undefined when it does not exist. The sentences
 * name the parameter, never its value.
 */
export async function readSecretParameter(ssm: SSMClient, name: string): Promise<Parameter | undefined> {
  try {
    const { Parameter: parameter } = await ssm.send(
      new GetParameterCommand({ Name: name, WithDecryption: true }),
    );
    return parameter;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw new CommandFailedError(awsProblem(error) ?? `cannot read ${name} (${(error as Error).name})`);
  }
}
