/**
 * The code the scale benchmark measures: this tree, or another checkout of the project (e.g. a git
 * worktree of an older commit, its node_modules linked), each with its own store, consumer path,
 * CLI, table definitions and orphans function, loaded from that checkout's files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type * as Cli from '../cli/commands/tasks';
import type * as Messages from '../lib/queue/message';
import type * as Writes from '../lib/store/apply-mix-event';
import type * as Schema from '../lib/zego/callback-schema';
import type * as Definition from '../tools/local-stack/stack-definition';
import type * as Resources from '../tools/local-stack/stack-resources';
import type * as Fake from '../tools/zego-fake/callbacks';

export interface Checkout {
  root: string;
  /** `git describe`-like: the short commit, and "+changes" when the tree differs from it. */
  label: string;
  buildCallback: typeof Fake.buildCallback;
  parseCallback: typeof Schema.parseCallback;
  toQueuedCallback: typeof Messages.toQueuedCallback;
  encodeMessageBody: typeof Messages.encodeMessageBody;
  parseQueuedMessage: typeof Messages.parseQueuedMessage;
  applyMixEvent: typeof Writes.applyMixEvent;
  /** `zego tasks`, as the CLI runs it. */
  tasksCommand: typeof Cli.tasks;
  createTables: (client: DynamoDBClient, prefix: string) => Promise<Record<string, string>>;
  functionEnvironment: (fn: string, local: Record<string, string>) => Record<string, string>;
  /** The orphans function's memorySize (MB) and timeout (s), as serverless.yml resolves them. */
  orphans: { memoryMb: number; timeoutSeconds: number };
}

/** This tree's or another checkout's code; `root` is the folder holding its serverless.yml. */
export async function loadCheckout(root: string): Promise<Checkout> {
  const dir = resolve(root);
  if (!existsSync(join(dir, 'serverless.yml'))) throw new Error(`${dir} holds no serverless.yml`);
  if (!existsSync(join(dir, 'node_modules'))) {
    throw new Error(`${dir} has no node_modules: link this tree's (ln -s "$PWD/node_modules" ${dir}/)`);
  }
  const load = <T>(path: string): Promise<T> => import(join(dir, path));
  // Where applyMixEvent lived as lib/store was split by concern.
  const writes =
    ['lib/store/apply-mix-event.ts', 'lib/store/task-writes.ts'].find((path) =>
      existsSync(join(dir, path)),
    ) ?? 'lib/store/task-store.ts';
  const [fake, schema, messages, store, cli, definition, resources] = await Promise.all([
    load<typeof Fake>('tools/zego-fake/callbacks.ts'),
    load<typeof Schema>('lib/zego/callback-schema.ts'),
    load<typeof Messages>('lib/queue/message.ts'),
    load<typeof Writes>(writes),
    load<typeof Cli>('cli/commands/tasks.ts'),
    load<typeof Definition>('tools/local-stack/stack-definition.ts'),
    load<typeof Resources>('tools/local-stack/stack-resources.ts'),
  ]);
  const stack = definition.readStack() as Definition.StackDefinition & {
    provider: { memorySize?: number };
    functions: Record<string, { memorySize?: number; timeout?: number }>;
  };
  const orphans = stack.functions.orphans;
  const memoryMb = Number(orphans?.memorySize ?? stack.provider.memorySize ?? 1024);
  const timeoutSeconds = Number(orphans?.timeout ?? 6);
  return {
    root: dir,
    label: describe(dir),
    buildCallback: fake.buildCallback,
    parseCallback: schema.parseCallback,
    toQueuedCallback: messages.toQueuedCallback,
    encodeMessageBody: messages.encodeMessageBody,
    parseQueuedMessage: messages.parseQueuedMessage,
    applyMixEvent: store.applyMixEvent,
    tasksCommand: cli.tasks,
    createTables: (client, prefix) => resources.createTables(client, prefix),
    functionEnvironment: (fn, local) => resources.functionEnvironment(fn, local),
    orphans: { memoryMb, timeoutSeconds },
  };
}

function describe(dir: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return dir;
  }
}

/**
 * The checkout's orphans function as `serverless package` zips it (serverless-esbuild with its
 * serverless.yml's settings), unzipped: the path of its handler file, and the folder to remove.
 */
export function packageOrphans(checkout: Checkout): { bundle: string; dir: string } {
  const packageDir = mkdtempSync(join(tmpdir(), 'zego-scale-'));
  execFileSync(
    process.execPath,
    [
      join(checkout.root, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'package',
      '--stage',
      'bench',
      '--package',
      packageDir,
    ],
    { cwd: checkout.root, stdio: 'ignore', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  const dir = join(packageDir, 'orphans');
  execFileSync('unzip', ['-q', '-o', join(packageDir, 'orphans.zip'), '-d', dir]);
  return { bundle: join(dir, 'functions', 'orphans.js'), dir: packageDir };
}
