import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  RECOMMENDED_NODE_MAJOR,
  SUPPORTED_NODE,
  satisfies,
  unsupportedNode,
} from '../../../tools/local-stack/supported-node';

const root = join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the supported Node versions (package.json engines)', () => {
  it.each([
    ['v20.19.0', true],
    ['v20.20.2', true],
    ['v22.13.0', true],
    ['v24.22.3', true],
    ['v26.1.0', true],
    ['v18.20.4', false],
    ['v20.18.3', false],
    ['v21.7.3', false],
    ['v22.12.0', false],
    ['v23.11.0', false],
  ])('takes %s as %s', (version, supported) => {
    expect(satisfies(version)).toBe(supported);
  });

  it('include the Node running these tests: CI runs them on the machine’s Node and on Lambda’s', () => {
    expect(satisfies(process.version)).toBe(true);
  });

  it("include the Lambda runtime's Node (serverless.yml) and the one CI tests on (.ci/run)", () => {
    const runtime = /runtime: nodejs(\d+)\.x/.exec(read('serverless.yml'))?.[1];
    const ciNode = /^LAMBDA_NODE=(\d+\.\d+\.\d+)/m.exec(read('.ci/run'))?.[1] ?? '';
    expect(Number(runtime)).toBe(RECOMMENDED_NODE_MAJOR);
    expect(ciNode.split('.')[0]).toBe(runtime);
    expect(satisfies(ciNode)).toBe(true);
  });

  it('refuse a range this check cannot read, rather than pass every version', () => {
    expect(() => satisfies('v24.0.0', '>=20 <26')).toThrow(/cannot read the Node range/);
    expect(() => satisfies('v24.0.0', '20.x')).toThrow(/cannot read the Node range/);
  });

  it('say on an old Node which versions run and what to install', () => {
    expect(unsupportedNode('v18.20.4')).toBe(
      `This project runs on Node ${SUPPORTED_NODE.replaceAll(' || ', ', ')} (package.json "engines"); this is Node v18.20.4. Install Node 24, the Lambda runtime's (for example \`nvm install 24\`), then run it again.`,
    );
    expect(unsupportedNode('v24.22.3')).toBeUndefined();
  });

  it('stop npm start and the CLI on an unsupported Node before they load anything else', async () => {
    // check-node.ts reads process.version: a script required first pretends this is Node 18.
    const preload = join(mkdtempSync(join(tmpdir(), 'zego-node-')), 'node-18.cjs');
    writeFileSync(preload, "Object.defineProperty(process, 'version', { value: 'v18.20.4' });\n");
    for (const entry of [join('cli', 'zego.ts'), join('scripts', 'start.ts')]) {
      const failed = await promisify(execFile)(process.execPath, ['-r', preload, '-r', 'tsx/cjs', entry], {
        cwd: root,
      }).catch((error: { code: number; stdout: string; stderr: string }) => error);
      expect(failed, entry).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `${unsupportedNode('v18.20.4')}\n`,
      });
    }
  });
});
