import { describe, expect, it } from 'vitest';
import { TASK_HELP, TASKS_HELP } from '../../../cli/commands/tasks';
import { COMMANDS, HELP } from '../../../cli/main';
import type { MixTask } from '../../../lib/store/task-item';
import { zego } from './run-zego';

/** The flags a help text documents: its option lines, `  --name ...` or `  -x, --name ...`. */
const documented = (help: string) =>
  [...help.matchAll(/^ {2,}(?:-\w, )?--([a-z][a-z0-9-]*)/gm)].map(([, flag]) => flag).sort();

describe('zego help', () => {
  it.each(Object.entries(COMMANDS))('documents every option of %s, and no other', (_name, command) => {
    expect(documented(command.help)).toEqual(Object.keys(command.options).sort());
  });

  it.each(Object.keys(COMMANDS))('prints the help of %s with --help', async (name) => {
    expect(await zego(name, '--help')).toEqual({ code: 0, stdout: COMMANDS[name]?.help, stderr: '' });
  });

  it('lists every command', async () => {
    expect(await zego('--help')).toEqual({ code: 0, stdout: HELP, stderr: '' });
    for (const name of Object.keys(COMMANDS)) expect(HELP).toMatch(new RegExp(`^ {2}${name} `, 'm'));
  });

  it('explains every field `tasks --json` and `task` print', () => {
    // Required<MixTask>: a field added to the task store fails to compile here until it is listed.
    const every: Required<MixTask> = {
      appid: '',
      task_id: '',
      status: 'running',
      seq: '',
      runId: '',
      startSeq: '',
      stopSeq: '',
      startedAt: 0,
      startReceivedAt: '',
      stoppedAt: 0,
      stopReceivedAt: '',
      channel_id: '',
      publish_id: '',
      mix_url: '',
      mix_stream_alias: '',
      stream_alias: '',
      rtmp_urls: [],
      hls_urls: [],
      hdl_urls: [],
      updatedAt: '',
      expiresAt: 0,
      runningSince: 0,
      runningShard: 0,
      checkAt: 0,
      orphanReportedAt: '',
      stoppedBy: 'callback',
      reconciledAt: '',
    };
    for (const field of Object.keys(every)) {
      expect(TASKS_HELP, field).toMatch(new RegExp(`^ {2}${field} +\\S`, 'm'));
      expect(TASK_HELP, field).toMatch(new RegExp(`^ {2}${field} +\\S`, 'm'));
    }
  });
});
