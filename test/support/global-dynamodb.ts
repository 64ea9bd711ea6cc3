import '../../tools/local-stack/quiet-sdk-warning';
import type { TestProject } from 'vitest/node';
import { startDynamoEngine } from '../../tools/local-stack/engines';

/**
 * One DynamoDB Local (AWS's engine, a Java process) for the whole integration run: it takes a few
 * seconds to start. Test files share it and keep apart by table-name prefixes.
 */
export default async function setup(project: TestProject) {
  const engine = await startDynamoEngine('dynamodb-local');
  project.provide('dynamoEndpoint', engine.endpoint);
  return () => engine.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
