/**
 * The bundles the benchmark measures: the functions exactly as `serverless package` zips them, and
 * the floors (bench/floors/) built with the same esbuild settings, read from serverless.yml, so a
 * change to those settings moves both sides alike.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { readStack } from '../tools/local-stack/stack-definition';

const root = join(__dirname, '..');

export const FLOORS = {
  /** One SendMessage: the least an ingest function can be. */
  sendMessage: 'send-message',
  /** One conditional PutItem, then one SendMessage: ingest's two calls, nothing else. */
  bindAndSend: 'bind-and-send',
  /** bindAndSend after reading the secret from SSM once: the least a deployed ingest can be. */
  deployedIngest: 'deployed-ingest',
  /** One conditional write per record, batch records at once: the least a consumer can be. */
  consumer: 'consumer',
  /** The consumer's three writes per record (idempotency claim, task, completion), nothing else. */
  idempotentConsumer: 'idempotent-consumer',
} as const;

type FloorName = keyof typeof FLOORS;

export interface Bundles {
  ingest: string;
  consumer: string;
  floors: Record<FloorName, string>;
}

/** Options of serverless-esbuild that esbuild itself does not take (the plugin strips them too). */
const PLUGIN_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

/** serverless.yml's `custom.esbuild`, less the plugin's own options, and its `exclude` list. */
function esbuildSettings(): { options: BuildOptions; external: string[] } {
  const settings = (readStack() as { custom?: { esbuild?: Record<string, unknown> } }).custom?.esbuild ?? {};
  const options = Object.fromEntries(
    Object.entries(settings).filter(([option]) => !PLUGIN_OPTIONS.includes(option)),
  ) as BuildOptions;
  return { options, external: (settings.exclude as string[] | undefined) ?? [] };
}

export async function buildBundles(): Promise<Bundles> {
  const packageDir = mkdtempSync(join(tmpdir(), 'zego-bench-'));
  execFileSync('npx', ['serverless', 'package', '--stage', 'bench', '--package', packageDir], {
    cwd: root,
    stdio: 'ignore',
  });
  const packaged = (fn: string) => {
    const dir = join(packageDir, fn);
    execFileSync('unzip', ['-q', '-o', join(packageDir, `${fn}.zip`), '-d', dir]);
    return join(dir, 'functions', `${fn}.js`);
  };

  const { options: esbuildOptions, external } = esbuildSettings();
  const floors = {} as Record<FloorName, string>;
  for (const [name, file] of Object.entries(FLOORS) as [FloorName, string][]) {
    floors[name] = join(packageDir, 'floors', `${file}.js`);
    await build({
      ...esbuildOptions,
      entryPoints: [join(__dirname, 'floors', `${file}.ts`)],
      outfile: floors[name],
      external,
      logLevel: 'silent',
    });
  }
  return { ingest: packaged('ingest'), consumer: packaged('consumer'), floors };
}

export interface Size {
  bytes: number;
  gzip: number;
}

export function bundleSize(file: string): Size {
  return { bytes: statSync(file).size, gzip: gzipSync(readFileSync(file)).length };
}

/** What a bundle is made of, by the libraries the benchmark names, in bytes of minified output. */
export type BundleParts = Record<BundlePart, number>;
type BundlePart = (typeof BUNDLE_PARTS)[number];

export const BUNDLE_PARTS = [
  'AWS SDK',
  'zod',
  'Powertools',
  'middy',
  'lossless-json',
  'this project',
  'other',
] as const;

function partOf(input: string): BundlePart {
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (name === undefined) return /^(lib|functions|bench)\//.test(input) ? 'this project' : 'other';
  // The SDK's own dependencies (endpoint cache, invoke store) count as the SDK.
  if (/^@(aws-sdk|smithy|aws)\/|^(mnemonist|obliterator|tslib|fast-xml-parser|strnum|bowser)$/.test(name))
    return 'AWS SDK';
  if (name === 'zod') return 'zod';
  if (name.startsWith('@aws-lambda-powertools/')) return 'Powertools';
  if (name.startsWith('@middy/')) return 'middy';
  if (name === 'lossless-json') return 'lossless-json';
  return 'other';
}

/**
 * Builds `entry` (relative to the project) as serverless.yml builds the functions and sorts the
 * output's bytes by part, from esbuild's metafile. `total` is the output's size, to compare with
 * the packaged bundle's.
 */
export async function bundleParts(entry: string): Promise<{ parts: BundleParts; total: number }> {
  const { options, external } = esbuildSettings();
  const result = await build({
    ...options,
    entryPoints: [join(root, entry)],
    outfile: join(mkdtempSync(join(tmpdir(), 'zego-bench-parts-')), 'out.js'),
    absWorkingDir: root,
    external,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((file) => file.entryPoint !== undefined);
  if (!output) throw new Error(`esbuild wrote no bundle for ${entry}`);
  const parts = Object.fromEntries(BUNDLE_PARTS.map((part) => [part, 0])) as BundleParts;
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
    parts[partOf(input)] += bytesInOutput;
  return { parts, total: output.bytes };
}
