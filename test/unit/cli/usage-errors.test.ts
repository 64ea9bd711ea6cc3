import { describe, expect, it } from 'vitest';
import { zego } from './run-zego';

describe('zego usage errors', () => {
  it.each([
    [['send', '--bogus'], 'zego send: unknown option --bogus.'],
    [['send', '--repeat'], 'zego send: --repeat needs a value.'],
    [['send', '--json=yes'], 'zego send: --json takes no value.'],
    [['send', '--event', 'middle'], 'zego send: --event must be stop or start, not "middle".'],
    [['send', '--repeat', '0'], 'zego send: --repeat must be a whole number of at least 1, not "0".'],
    [['tasks', 'all'], 'zego tasks: unexpected argument "all".'],
    [['tasks', '--status', 'done'], 'zego tasks: --status must be running or stopped, not "done".'],
    [['task'], 'zego task: give exactly one task id, e.g. `zego task demo-1`.'],
    [
      ['dlq', 'purge'],
      'zego dlq: "purge" is not a dlq action: give list, redrive, refused or replay <message id>.',
    ],
    [
      ['dlq', 'replay'],
      'zego dlq: "replay" is not a dlq action: give list, redrive, refused or replay <message id>.',
    ],
    [['sign', '--nonce', '1'], 'zego sign: --timestamp and --nonce are required.'],
    [['verify', 'a.json', 'b.json'], 'zego verify: give one file, or - to read a pipe.'],
  ])('prints one line for `zego %s` and where the options are, exit code 2', async (argv, line) => {
    const [name] = argv;
    expect(await zego(...argv)).toEqual({
      code: 2,
      stdout: '',
      stderr: `${line}\nRun \`zego ${name} --help\` for its options.`,
    });
  });

  it.each([
    ['sned', 'send'],
    ['tsk', 'task'],
    ['backfill', 'backfill-running-index'],
  ])(
    'names an unknown command %s, the one it likely meant (%s) and where the commands are',
    async (typed, meant) => {
      expect(await zego(typed)).toEqual({
        code: 2,
        stdout: '',
        stderr: `zego: there is no command "${typed}".\nDid you mean \`zego ${meant}\`? Run \`zego --help\` for the commands.`,
      });
    },
  );

  it('suggests nothing for a name far from every command', async () => {
    expect((await zego('deploy')).stderr).toBe(
      'zego: there is no command "deploy".\nRun `zego --help` for the commands.',
    );
  });

  it('prints its version, the one package.json carries', async () => {
    const { version } = await import('../../../package.json');
    for (const flag of ['--version', '-v']) {
      expect(await zego(flag)).toEqual({ code: 0, stdout: `zego-mix-callbacks ${version}`, stderr: '' });
    }
  });
});
