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
  /** One conditional write per record, batch records at once: the least a consumer can be. */
  consumer: 'consumer',
} as const;

export type FloorName = keyof typeof FLOORS;

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

  const settings = (readStack() as { custom?: { esbuild?: Record<string, unknown> } }).custom?.esbuild ?? {};
  const esbuildOptions = Object.fromEntries(
    Object.entries(settings).filter(([option]) => !PLUGIN_OPTIONS.includes(option)),
  ) as BuildOptions;
  const external = (settings.exclude as string[] | undefined) ?? [];
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
