import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CERTIFICATE, DOMAIN } from '../support/stack-template';

describe('stage parameters checked at package time (scripts/stack-params.cjs)', () => {
  type Resolve = { resolveVariable: (variable: string) => Promise<unknown> };
  const params: Record<string, (resolver: Resolve) => Promise<Record<string, unknown>>> = createRequire(
    __filename,
  )('../../scripts/stack-params.cjs');
  const given = (values: Record<string, unknown>): Resolve => ({
    resolveVariable: async (variable) => {
      if (variable === 'self:provider.region') return 'eu-west-1';
      const name = variable.replace(/^param:/, '');
      if (!(name in values)) throw new Error(`unexpected ${variable}`);
      return values[name];
    },
  });
  const call = (name: string, values: Record<string, unknown>) => {
    const fn = params[name];
    if (!fn) throw new Error(`stack-params.cjs has no ${name}`);
    return fn(given(values));
  };
  const concurrency = {
    ingestReservedConcurrency: 0,
    consumerReservedConcurrency: 0,
    consumerMaxConcurrency: 5,
  };

  it('derives the schedule and alarm period from orphanCheckMinutes, and refuses what EventBridge or CloudWatch would', async () => {
    expect(await call('orphanCheck', { orphanCheckMinutes: 1 })).toEqual({
      schedule: 'rate(1 minute)',
      periodSeconds: 60,
      timeoutSeconds: 60,
    });
    expect(await call('orphanCheck', { orphanCheckMinutes: 5 })).toMatchObject({ timeoutSeconds: 240 });
    expect(await call('orphanCheck', { orphanCheckMinutes: '720' })).toEqual({
      schedule: 'rate(720 minutes)',
      periodSeconds: 43_200,
      timeoutSeconds: 900,
    });
    for (const bad of [0, 721, '1.5', 'rate(5 minutes)', '']) {
      await expect(call('orphanCheck', { orphanCheckMinutes: bad }), String(bad)).rejects.toThrow(
        /orphanCheckMinutes must be a whole number from 1 to 720/,
      );
    }
  });

  it('maps keepTables to a policy, and refuses anything but true or false', async () => {
    const keep = {
      keepPreviousRunningIndex: false,
      tableWarmWritesPerSecond: 0,
      tableDeletionProtection: false,
    };
    expect(await call('tables', { ...keep, keepTables: true })).toEqual({
      policy: 'Retain',
      deletionProtection: false,
      keepPreviousRunningIndex: 'false',
      warm: 'false',
      warmWritesPerSecond: 4_000,
    });
    expect(await call('tables', { ...keep, keepTables: 'false' })).toMatchObject({ policy: 'Delete' });
    expect(
      await call('tables', { ...keep, keepTables: true, keepPreviousRunningIndex: 'true' }),
    ).toMatchObject({
      keepPreviousRunningIndex: 'true',
    });
    await expect(call('tables', { ...keep, keepTables: 'no' })).rejects.toThrow(
      /keepTables must be true or false/,
    );
    await expect(
      call('tables', { ...keep, keepTables: true, keepPreviousRunningIndex: 'yes' }),
    ).rejects.toThrow(/keepPreviousRunningIndex must be true or false/);
    const warm = { keepTables: true, keepPreviousRunningIndex: false, tableDeletionProtection: false };
    expect(await call('tables', { ...warm, tableWarmWritesPerSecond: 0 })).toMatchObject({ warm: 'false' });
    expect(await call('tables', { ...warm, tableWarmWritesPerSecond: '8000' })).toMatchObject({
      warm: 'true',
      warmWritesPerSecond: 8000,
    });
    for (const bad of [100, 3999, 40_001, 'many'])
      await expect(call('tables', { ...warm, tableWarmWritesPerSecond: bad }), String(bad)).rejects.toThrow(
        /tableWarmWritesPerSecond/,
      );
    await expect(call('alarms', { alarmOkNotifications: 'yes' })).rejects.toThrow(/alarmOkNotifications/);
  });

  it('refuses a consumer reservation below its maximum concurrency (throttled receives reach the DLQ)', async () => {
    expect(await call('concurrency', concurrency)).toMatchObject({
      ingestReserves: 'false',
      consumerMaximum: 5,
    });
    expect(await call('concurrency', { ...concurrency, consumerReservedConcurrency: 5 })).toMatchObject({
      consumerReserved: 5,
      consumerReserves: 'true',
    });
    await expect(call('concurrency', { ...concurrency, consumerReservedConcurrency: 4 })).rejects.toThrow(
      /consumerReservedConcurrency \(4\) must be 0 or at least consumerMaxConcurrency \(5\)/,
    );
    await expect(call('concurrency', { ...concurrency, consumerMaxConcurrency: 1 })).rejects.toThrow(
      /consumerMaxConcurrency must be a whole number from 2 to 1000/,
    );
    await expect(call('concurrency', { ...concurrency, ingestReservedConcurrency: -1 })).rejects.toThrow(
      /ingestReservedConcurrency/,
    );
  });

  it('takes a custom domain with a certificate of the stack region, or none', async () => {
    expect(await call('customDomain', { domainName: '', certificateArn: '' })).toMatchObject({
      enabled: 'false',
    });
    expect(await call('customDomain', { domainName: DOMAIN, certificateArn: CERTIFICATE })).toMatchObject({
      enabled: 'true',
    });
    await expect(call('customDomain', { domainName: DOMAIN, certificateArn: '' })).rejects.toThrow(
      /set both/,
    );
    await expect(call('customDomain', { domainName: '', certificateArn: CERTIFICATE })).rejects.toThrow(
      /set both/,
    );
    await expect(
      call('customDomain', {
        domainName: DOMAIN,
        certificateArn: CERTIFICATE.replace('eu-west-1', 'us-east-1'),
      }),
    ).rejects.toThrow(/certificateArn is in us-east-1; the API's regional domain needs one in eu-west-1/);
    await expect(call('customDomain', { domainName: DOMAIN, certificateArn: 'cert-123' })).rejects.toThrow(
      /not an ACM certificate ARN/,
    );
  });

  it('turns run events on, on the stack’s own bus or an existing one, and refuses what cannot be meant', async () => {
    const events = (values: Record<string, unknown>) =>
      call('events', { publishEvents: false, eventBusName: '', eventArchiveDays: 0, ...values });
    expect(await events({})).toMatchObject({ publish: 'false', ownBus: 'false', archive: 'false' });
    expect(await events({ publishEvents: 'true', eventArchiveDays: '14' })).toMatchObject({
      publish: 'true',
      ownBus: 'true',
      archive: 'true',
      archiveDays: 14,
      externalByArn: 'false',
      externalByName: 'false',
      externalBusName: '',
    });
    expect(await events({ publishEvents: true, eventBusName: 'shared' })).toMatchObject({
      ownBus: 'false',
      externalByName: 'true',
      externalBusNamed: 'shared',
      externalBusName: 'shared',
    });
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/shared';
    expect(await events({ publishEvents: true, eventBusName: arn })).toMatchObject({
      ownBus: 'false',
      externalByArn: 'true',
      externalBusArn: arn,
    });
    await expect(events({ eventBusName: 'shared' })).rejects.toThrow(/need publishEvents: true/);
    await expect(events({ eventArchiveDays: 7 })).rejects.toThrow(/need publishEvents: true/);
    await expect(
      events({ publishEvents: true, eventBusName: 'shared', eventArchiveDays: 7 }),
    ).rejects.toThrow(/archives the stack's own bus only/);
    await expect(events({ publishEvents: true, eventBusName: 'a bus' })).rejects.toThrow(
      /eventBusName must be an event bus name or an event bus ARN/,
    );
    await expect(events({ publishEvents: 'yes' })).rejects.toThrow(/publishEvents must be true or false/);
    await expect(events({ publishEvents: true, eventArchiveDays: 3651 })).rejects.toThrow(
      /eventArchiveDays must be a whole number from 0 to 3650/,
    );
  });

  it('protects the kept tables from deletion on request, never tables that go with the stack', async () => {
    const base = { keepPreviousRunningIndex: false, tableWarmWritesPerSecond: 0 };
    expect(await call('tables', { ...base, keepTables: true, tableDeletionProtection: false })).toMatchObject(
      {
        deletionProtection: false,
      },
    );
    expect(
      await call('tables', { ...base, keepTables: true, tableDeletionProtection: 'true' }),
    ).toMatchObject({
      deletionProtection: true,
    });
    await expect(
      call('tables', { ...base, keepTables: false, tableDeletionProtection: true }),
    ).rejects.toThrow(/tableDeletionProtection needs keepTables=true/);
  });

  it('logs the API as JSON lines when apiAccessLogs is on, and not at all when off', async () => {
    const { accessLogs } = (await call('api', { apiAccessLogs: true })) as { accessLogs: { format: string } };
    expect(JSON.parse(accessLogs.format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationStatus: '$context.integrationStatus',
      error: '$context.error.message',
    });
    expect(await call('api', { apiAccessLogs: 'false' })).toEqual({ accessLogs: false });
    await expect(call('api', { apiAccessLogs: 'yes' })).rejects.toThrow(
      /apiAccessLogs must be true or false/,
    );
  });

  const secretParams = {
    callbackSecretParam: '/zego-mix-callbacks/prod/callback-secret',
    serverSecretParam: '',
  };

  it('checks the secrets’ parameter names and the appids, and lists the appids with commas', async () => {
    expect(await call('secrets', { ...secretParams, appIds: ' 1234567890, 22 33 ' })).toEqual({
      ...secretParams,
      appIds: '1234567890,22,33',
    });
    expect(await call('secrets', { ...secretParams, appIds: '' })).toMatchObject({ appIds: '' });
    for (const bad of ['abc', '1234567890,x1', '12345678901'])
      await expect(call('secrets', { ...secretParams, appIds: bad }), bad).rejects.toThrow(
        /stage parameter appIds must list ZEGO appids \(digits\) separated by commas/,
      );
    for (const name of ['callbackSecretParam', 'serverSecretParam'])
      for (const bad of ['zego/secret', '/zego/secret/', '/zego secret'])
        await expect(call('secrets', { ...secretParams, appIds: '', [name]: bad }), bad).rejects.toThrow(
          new RegExp(`stage parameter ${name} must be a full SSM parameter name`),
        );
    await expect(call('secrets', { ...secretParams, appIds: '', callbackSecretParam: '' })).rejects.toThrow(
      /callbackSecretParam must be a full SSM parameter name/,
    );
  });

  const hooks = { ...secretParams, hookPolicyArns: '', hookParametersPath: '/zego-mix-callbacks/prod/hooks' };

  it('attaches the hooks’ managed policies and grants their settings path, never a path holding a secret', async () => {
    expect(await call('hooks', hooks)).toEqual({
      policyArns: [],
      parametersPath: '/zego-mix-callbacks/prod/hooks',
      hasParameters: 'true',
    });
    const arns =
      'arn:aws:iam::123456789012:policy/billing-writer, arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    expect(await call('hooks', { ...hooks, hookPolicyArns: arns, hookParametersPath: '' })).toEqual({
      policyArns: [
        'arn:aws:iam::123456789012:policy/billing-writer',
        'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      ],
      parametersPath: '',
      hasParameters: 'false',
    });
    await expect(call('hooks', { ...hooks, hookPolicyArns: 'billing-writer' })).rejects.toThrow(
      /hookPolicyArns holds "billing-writer", which is not an IAM managed policy ARN/,
    );
    const eleven = Array.from({ length: 11 }, (_, i) => `arn:aws:iam::123456789012:policy/p${i}`).join(',');
    await expect(call('hooks', { ...hooks, hookPolicyArns: eleven })).rejects.toThrow(/at most 10/);
    await expect(call('hooks', { ...hooks, hookParametersPath: 'hooks/' })).rejects.toThrow(
      /hookParametersPath must be an SSM path/,
    );
    await expect(call('hooks', { ...hooks, hookParametersPath: '/zego-mix-callbacks/prod' })).rejects.toThrow(
      /holds callbackSecretParam .*: choose another path/,
    );
  });

  it('words every refusal as its sentence alone: serverless prints a stack where a rejection has one', async () => {
    const refusal = await call('secrets', { ...secretParams, appIds: 'abc' }).catch((error: Error) => error);
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).stack).toBe((refusal as Error).message);
  });
});
