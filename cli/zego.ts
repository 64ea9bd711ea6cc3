/**
 * `npm run zego -- <command>` (or `npx zego <command>`): plays ZEGO's part and inspects the
 * pipeline, locally or on a deployed stage.
 */
import '../tools/local-stack/check-node';
import '../tools/local-stack/quiet-sdk-warning';
import { main } from './main';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
