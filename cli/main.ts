import packageJson from '../package.json';
import { CommandFailedError, type Options, UsageError } from './args';
import { awsProblem } from './aws';
import { BACKFILL_HELP, BACKFILL_OPTIONS, backfill } from './commands/backfill';
import { DLQ_HELP, DLQ_OPTIONS, dlq } from './commands/dlq';
import { DOCTOR_HELP, DOCTOR_OPTIONS, doctor } from './commands/doctor';
import { EVENTS_HELP, EVENTS_OPTIONS, events } from './commands/events';
import { KILL_MIX_HELP, KILL_MIX_OPTIONS, killMix } from './commands/kill-mix';
import { SEND_HELP, SEND_OPTIONS, send } from './commands/send';
import { SIGN_HELP, SIGN_OPTIONS, sign, VERIFY_HELP, VERIFY_OPTIONS, verify } from './commands/sign';
import { SMOKE_HELP, SMOKE_OPTIONS, smoke } from './commands/smoke';
import { TASK_HELP, TASK_OPTIONS, TASKS_HELP, TASKS_OPTIONS, task, tasks } from './commands/tasks';

interface Command {
  run: (args: string[]) => Promise<void>;
  help: string;
  /** What it accepts besides --help: its help must list each (test/unit/cli/help.test.ts). */
  options: Options;
  summary: string;
}

export const COMMANDS: Record<string, Command> = {
  send: {
    run: send,
    help: SEND_HELP,
    options: SEND_OPTIONS,
    summary: 'build, sign and POST a mix_stop or mix_start callback',
  },
  sign: {
    run: sign,
    help: SIGN_HELP,
    options: SIGN_OPTIONS,
    summary: 'print the signature for a timestamp and nonce',
  },
  verify: {
    run: verify,
    help: VERIFY_HELP,
    options: VERIFY_OPTIONS,
    summary: 'check a captured callback body',
  },
  tasks: { run: tasks, help: TASKS_HELP, options: TASKS_OPTIONS, summary: 'list mix tasks and their status' },
  task: { run: task, help: TASK_HELP, options: TASK_OPTIONS, summary: 'show one mix task' },
  dlq: {
    run: dlq,
    help: DLQ_HELP,
    options: DLQ_OPTIONS,
    summary: 'list or redrive dead-lettered callbacks; list or replay refused ones',
  },
  events: {
    run: events,
    help: EVENTS_HELP,
    options: EVENTS_OPTIONS,
    summary: 'locally: list the run events npm start published (Mix Started, ...)',
  },
  'kill-mix': {
    run: killMix,
    help: KILL_MIX_HELP,
    options: KILL_MIX_OPTIONS,
    summary: 'locally: end a mix with no mix_stop, as ZEGO does',
  },
  smoke: {
    run: smoke,
    help: SMOKE_HELP,
    options: SMOKE_OPTIONS,
    summary: 'after a deploy: send a start and a stop, see the task stop',
  },
  doctor: {
    run: doctor,
    help: DOCTOR_HELP,
    options: DOCTOR_OPTIONS,
    summary: 'after a deploy: check a stage end to end, a sentence for each thing to fix',
  },
  'backfill-running-index': {
    run: backfill,
    help: BACKFILL_HELP,
    options: BACKFILL_OPTIONS,
    summary: 'once, when upgrading a stage: running tasks join the sharded running index',
  },
};

const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((name) => name.length));

export const HELP = `Usage: zego <command> [options]   (zego <command> --help for its options)

${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(NAME_WIDTH)} ${summary}`)
  .join('\n')}`;

/** Runs `zego <argv>`; resolves to the exit code: 0 done, 1 failed, 2 a usage error. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    console.log(`zego-mix-callbacks ${packageJson.version}`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = nearest(name, Object.keys(COMMANDS));
    const hint = near ? `Did you mean \`zego ${near}\`? ` : '';
    console.error(`zego: there is no command "${name}".\n${hint}Run \`zego --help\` for the commands.`);
    return 2;
  }
  try {
    await command.run(args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`zego ${name}: ${error.message}.\nRun \`zego ${name} --help\` for its options.`);
      return 2;
    }
    if (error instanceof CommandFailedError) {
      console.error(`zego ${name}: ${error.message}`);
      return 1;
    }
    // No stack trace: one sentence, the next step where the SDK's error says what is missing.
    console.error(`zego ${name}: ${awsProblem(error) ?? `unexpected error: ${(error as Error).message}`}`);
    return 1;
  }
}

/** The command a mistyped name most likely meant: within two edits, or the one it begins. */
function nearest(typed: string, names: string[]): string | undefined {
  const scored = names.map((name) => ({ name, distance: editDistance(typed, name) }));
  const best = scored.sort((a, b) => a.distance - b.distance)[0];
  if (best && best.distance <= 2) return best.name;
  return names.find((name) => typed.length >= 3 && name.startsWith(typed));
}

/** Levenshtein distance: the fewest single-character insertions, deletions or substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
