import { engines } from '../../package.json';

/**
 * The Node versions this project supports: package.json `engines.node`, the one place they are
 * written. `npm start` and the CLI refuse others (check-node.ts); the tests check that the Node
 * they run on, CI's Lambda Node and serverless.yml's runtime are in it.
 */
export const SUPPORTED_NODE: string = engines.node;

/** The Node major the message recommends: Lambda's runtime (serverless.yml provider.runtime). */
export const RECOMMENDED_NODE_MAJOR = 24;

/**
 * Whether `version` ("v20.19.0" or "20.19.0") is in `range`: alternatives joined by `||`, each
 * `^X.Y.Z` (same major, at least X.Y.Z) or `>=X[.Y.Z]`. Any other form throws, so a change to
 * package.json that this does not understand fails the tests instead of passing every version.
 */
export function satisfies(version: string, range = SUPPORTED_NODE): boolean {
  const have = parseVersion(version);
  return range.split('||').some((alternative) => {
    const match = /^\s*(\^|>=)\s*(\d+(?:\.\d+){0,2})\s*$/.exec(alternative);
    if (!match) throw new Error(`cannot read the Node range "${range}" (package.json engines)`);
    const [, operator, bound = ''] = match;
    const want = parseVersion(bound);
    return operator === '^' ? have[0] === want[0] && compare(have, want) >= 0 : compare(have, want) >= 0;
  });
}

/** A sentence saying what to do when `version` is not supported, else undefined. */
export function unsupportedNode(version = process.version, range = SUPPORTED_NODE): string | undefined {
  if (satisfies(version, range)) return undefined;
  return `This project runs on Node ${range.replaceAll(' || ', ', ')} (package.json "engines"); this is Node ${version}. Install Node ${RECOMMENDED_NODE_MAJOR}, the Lambda runtime's (for example \`nvm install ${RECOMMENDED_NODE_MAJOR}\`), then run it again.`;
}

function parseVersion(text: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] =
    text.replace(/^v/, '').split('-')[0]?.split('.').map(Number) ?? [];
  if (![major, minor, patch].every(Number.isInteger)) throw new Error(`not a Node version: "${text}"`);
  return [major, minor, patch];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
