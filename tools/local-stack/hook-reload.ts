import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Hooks } from '../../lib/hook-contract';

type Log = (message: string) => void;

/**
 * Your hooks as `npm start` runs them: `file` (lib/hooks.ts) is loaded again whenever it changes,
 * so a hook fixed while its callbacks wait (retried, or in the DLQ for `zego dlq redrive`) takes
 * the next delivery without a restart, which would empty the queues. Only that file is loaded
 * again, not the modules it imports. A version that does not load (a syntax error, a throw at
 * load, no `hooks` export) leaves the previous hooks in place and says why.
 */
export function reloadingHooks(
  file: string,
  { load = requireFresh, log = console.log }: { load?: (file: string) => Hooks; log?: Log } = {},
): { hooks: Hooks; reloads: () => number; close: () => void } {
  const path = resolve(file);
  let current = load(path);
  let reloads = 0;
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    try {
      current = load(path);
      reloads += 1;
      log(`npm start: ${basename(path)} changed; its hooks take the next delivery`);
    } catch (error) {
      log(
        `npm start: ${basename(path)} changed but does not load, so the previous hooks stay: ${(error as Error).message}`,
      );
    }
  };
  // The folder, not the file: editors often save by writing a new file over the old one.
  const watcher: FSWatcher = watch(dirname(path), (_, name) => {
    if (name !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 100); // one reload for the several events of one save
  });
  const hooks: Hooks = {
    onMixStarted: (event, context) => current.onMixStarted(event, context),
    onMixUpdated: async (event, context) => current.onMixUpdated?.(event, context),
    onMixStopped: (event, context) => current.onMixStopped(event, context),
    onMixOrphaned: (event, context) => current.onMixOrphaned(event, context),
  };
  return {
    hooks,
    reloads: () => reloads,
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/** The file's `hooks` export, read again from disk (tsx compiles it on require). */
function requireFresh(file: string): Hooks {
  delete require.cache[require.resolve(file)];
  const { hooks } = require(file) as { hooks?: Hooks };
  if (!hooks) throw new Error('it exports no `hooks`');
  return hooks;
}
