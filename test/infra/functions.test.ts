import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readStack } from '../../tools/local-stack/stack-definition';
import {
  CUSTOM_SECRET_PARAM,
  deployed,
  ofType,
  options,
  packageDir,
  resource,
  type Template,
  template,
} from '../support/stack-template';

const run = promisify(execFile);

describe('the packaged stack', () => {
  it('passes the stage parameter for the secret name to ingest', () => {
    expect(resource('IngestLambdaFunction').Properties.Environment.Variables).toMatchObject({
      ZEGO_CALLBACK_SECRET_PARAM: CUSTOM_SECRET_PARAM,
      QUEUE_URL: { Ref: 'CallbackQueue' },
    });
  });

  it('runs on Node.js 24, the major .ci/run tests on and esbuild targets, on arm64, with log retention', async () => {
    const ciNode = /LAMBDA_NODE=(\d+)\./.exec(
      await readFile(join(__dirname, '..', '..', '.ci', 'run'), 'utf8'),
    )?.[1];
    expect(ciNode).toBe('24');
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Runtime).toBe(`nodejs${ciNode}.x`);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    // The bundle's language level (not in the template): serverless.yml's custom.esbuild.
    expect(readStack()).toMatchObject({ custom: { esbuild: { target: `node${ciNode}` } } });
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThanOrEqual(2);
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toEqual(expect.any(Number));
  });

  it('gives the consumer its table names, its dead-letter queue and retention settings', () => {
    expect(resource('ConsumerLambdaFunction').Properties.Environment.Variables).toMatchObject({
      TASKS_TABLE: { Ref: 'TasksTable' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'CallbackDeadLetterQueue' },
      IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' },
      IDEMPOTENCY_DAYS: '7',
      TASK_RETENTION_DAYS: '90',
    });
  });

  it('bundles ingest with esbuild: minified, with a source map', async () => {
    const { stdout } = await run('unzip', ['-l', join(packageDir, 'ingest.zip')]);
    expect(stdout).toContain('functions/ingest.js');
    expect(stdout).toContain('functions/ingest.js.map');
    expect(stdout).not.toContain('node_modules');
    const { stdout: code } = await run(
      'unzip',
      ['-p', join(packageDir, 'ingest.zip'), 'functions/ingest.js'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // Minified: unminified code averages ~30 characters a line; newlines survive here only inside
    // template literals.
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(2_000);
    expect(code).toContain('mix_stop');
  });

  it('traces with X-Ray only when the tracing parameter says Active', () => {
    expect(template.Conditions.TracingEnabled).toEqual({ 'Fn::Equals': ['PassThrough', 'Active'] });
    expect(resource('IngestLambdaFunction').Properties.TracingConfig).toEqual({ Mode: 'PassThrough' });
    expect(JSON.stringify(deployed(template, 'IngestRole')?.Properties)).not.toContain('xray:');
    const traced = options;
    expect(traced.Conditions.TracingEnabled).toEqual({ 'Fn::Equals': ['Active', 'Active'] });
    for (const fn of ['IngestLambdaFunction', 'ConsumerLambdaFunction', 'OrphansLambdaFunction']) {
      expect(traced.Resources[fn]?.Properties.TracingConfig, fn).toEqual({ Mode: 'Active' });
    }
    const xray = JSON.stringify(traced.Resources.IngestRole?.Properties.Policies);
    expect(xray).toContain('"Fn::If":["TracingEnabled"');
    expect(JSON.stringify(deployed(traced, 'IngestRole')?.Properties)).toContain('xray:PutTraceSegments');
  });

  it('reserves concurrency only when asked (0 is no reservation, never a disabled function)', () => {
    const reserved = (stack: Template, fn: string) =>
      deployed(stack, `${fn}LambdaFunction`)?.Properties.ReservedConcurrentExecutions;
    expect(reserved(template, 'Ingest')).toBeUndefined();
    expect(reserved(template, 'Consumer')).toBeUndefined();
    expect(reserved(template, 'Orphans')).toBeUndefined();
    expect(reserved(options, 'Ingest')).toBe(20);
    expect(reserved(options, 'Consumer')).toBe(24);
    expect(reserved(options, 'Orphans')).toBeUndefined();
    const maximum = (stack: Template) =>
      Object.values(stack.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')?.Properties
        .ScalingConfig;
    expect(maximum(template)).toEqual({ MaximumConcurrency: 10 });
    expect(maximum(options)).toEqual({ MaximumConcurrency: 20 });
  });
});
