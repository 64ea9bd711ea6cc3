// Imported first by `npm start` and the CLI: on a Node outside package.json's engines, one sentence
// saying what to do, instead of an error from deep inside a dependency.
import { unsupportedNode } from './supported-node';

const problem = unsupportedNode();
if (problem) {
  console.error(problem);
  process.exit(1);
}
