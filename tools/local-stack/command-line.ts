/**
 * node:util parseArgs' errors as short phrases; `npm start` and the `zego` CLI print them after
 * their name and add the next step (their --help).
 */
export function parseArgsProblem(error: Error & { code?: string }): string {
  const quoted = /'([^' ]+)/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(error.message) ? `${quoted} needs a value` : `${quoted} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return error.message;
  }
}
