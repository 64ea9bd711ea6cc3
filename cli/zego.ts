/**
 * `npm run zego -- <command>` (or `npx zego <command>`): plays ZEGO's part and inspects the
 * pipeline, locally or on a deployed stage.
 */
import '../tools/local-stack/check-node';
import '../tools/local-stack/quiet-sdk-warning';
import { CommandFailedError, UsageError } from './args';
import { DLQ_HELP, dlq } from './commands/dlq';
import { SEND_HELP, send } from './commands/send';
import { SIGN_HELP, sign, VERIFY_HELP, verify } from './commands/sign';
import { SMOKE_HELP, smoke } from './commands/smoke';
import { TASK_HELP, TASKS_HELP, task, tasks } from './commands/tasks';

const commands: Record<string, { run: (args: string[]) => Promise<void>; help: string; summary: string }> = {
  send: { run: send, help: SEND_HELP, summary: 'build, sign and POST a mix_stop or mix_start callback' },
  sign: { run: sign, help: SIGN_HELP, summary: 'print the signature for a timestamp and nonce' },
  verify: { run: verify, help: VERIFY_HELP, summary: 'check a captured callback body' },
  tasks: { run: tasks, help: TASKS_HELP, summary: 'list mix tasks and their status' },
  task: { run: task, help: TASK_HELP, summary: 'show one mix task' },
  dlq: { run: dlq, help: DLQ_HELP, summary: 'list or redrive dead-lettered callbacks' },
  smoke: {
    run: smoke,
    help: SMOKE_HELP,
    summary: 'after a deploy: send a start and a stop, see the task stop',
  },
};

const HELP = `Usage: zego <command> [options]   (zego <command> --help for its options)

${Object.entries(commands)
  .map(([name, { summary }]) => `  ${name.padEnd(8)} ${summary}`)
  .join('\n')}`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`zego: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    await command.run(args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`zego ${name}: ${error.message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof CommandFailedError) {
      console.error(`zego ${name}: ${error.message}`);
      return 1;
    }
    console.error(`zego ${name}: unexpected error: ${(error as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
