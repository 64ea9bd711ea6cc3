// A Stryker ignore-plugin (stryker.config.mjs, `ignorers`): the message text of a log call,
// `logger.info('callback accepted', {...})`, is not mutated. Operators query the fields (outcome,
// reason, ids: README "Logs"), which stay mutated and tested; the sentence is prose for a human.
// One rule here instead of a disable comment on each of ~25 log calls, and more precise: a
// line-level disable would also hide the string fields on the same line, such as `outcome: 'retry'`.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'log-messages', {
    shouldIgnore(path) {
      if (!(path.isStringLiteral() || path.isTemplateLiteral())) return undefined;
      if (path.listKey !== 'arguments' || path.key !== 0) return undefined;
      const call = path.parentPath;
      if (!call?.isCallExpression()) return undefined;
      const callee = call.get('callee');
      if (!callee.isMemberExpression()) return undefined;
      const object = callee.get('object');
      const property = callee.get('property');
      if (!object.isIdentifier({ name: 'logger' }) || !property.isIdentifier()) return undefined;
      return LEVELS.has(property.node.name)
        ? 'Log message text: operators query the fields, not the sentence'
        : undefined;
    },
  }),
];
