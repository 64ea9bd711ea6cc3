'use strict';

/**
 * Stage parameters that serverless.yml cannot use as they come: values computed from a parameter
 * (neither serverless variables nor CloudFormation can multiply) and combinations that must fail at
 * package time, with a message naming the parameter, rather than half-way through a deploy.
 * serverless.yml reads them as `${file(./scripts/stack-params.cjs):name.field}`; serverless calls
 * each export with its `resolveVariable`. A `--param` arrives as a string, a `params:` default as
 * whatever YAML made of it: both are accepted. Values that CloudFormation conditions compare are
 * returned as the strings "true" and "false" (Fn::Equals compares strings).
 */

/** @typedef {{ resolveVariable: (variable: string) => Promise<unknown> }} Resolver */

/** @param {Resolver} resolver @param {string} name */
async function param({ resolveVariable }, name) {
  const value = await resolveVariable(`param:${name}`);
  return value === null || value === undefined ? '' : String(value).trim();
}

/** @param {Resolver} resolver @param {string} name @param {number} min @param {number} max */
async function integer(resolver, name, min, max) {
  const text = await param(resolver, name);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw refusal(`stage parameter ${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

/** SSM parameter names: a full path of letters, digits and _.-/ (SSM's own rule), 1,011 characters at most. */
const SSM_NAME = /^(\/[\w.-]+)+$/;

/**
 * A bad stage parameter, said in one sentence: serverless prints a rejection's stack when it has one,
 * and a stack here is ~40 lines of serverless's own frames around the sentence.
 * @param {string} message
 */
function refusal(message) {
  const error = new Error(message);
  error.stack = message;
  return error;
}

/** @param {boolean} value */
const condition = (value) => (value ? 'true' : 'false');

/** @param {Resolver} resolver @param {string} name */
async function flag(resolver, name) {
  const text = (await param(resolver, name)).toLowerCase();
  if (text !== 'true' && text !== 'false') {
    throw refusal(`stage parameter ${name} must be true or false, not "${text}"`);
  }
  return text === 'true';
}

/**
 * The orphan check runs every `orphanCheckMinutes`. The alarms on its metrics use the same period,
 * and the heartbeat alarm waits for two empty periods: a run that lands late in one period and
 * early in the next leaves no period empty, two missed runs always do. CloudWatch limits an alarm
 * to one day of periods (2 x 720 minutes).
 * @param {Resolver} resolver
 */
async function orphanCheck(resolver) {
  const minutes = await integer(resolver, 'orphanCheckMinutes', 1, 720);
  return {
    schedule: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
    periodSeconds: minutes * 60,
    // A run ends before the next starts (Lambda's limit is 900 s; 60 s at least to do anything).
    timeoutSeconds: Math.min(900, Math.max(60, minutes * 60 - 60)),
  };
}

/**
 * `keepTables` as the tables' DeletionPolicy and UpdateReplacePolicy. CloudFormation takes no
 * condition there (short of the AWS::LanguageExtensions transform), so the policy is chosen here;
 * anything but true or false stops the package, so a typo never picks Delete. And
 * `keepPreviousRunningIndex`, checked the same way, and `tableWarmWritesPerSecond`: DynamoDB's
 * warm throughput of the three tables (an on-demand table takes 4,000 writes a second from the
 * start; 40,000 is a table's default quota).
 * @param {Resolver} resolver
 */
async function tables(resolver) {
  const warmWritesPerSecond = await integer(resolver, 'tableWarmWritesPerSecond', 0, 40_000);
  if (warmWritesPerSecond > 0 && warmWritesPerSecond < 4_000) {
    throw refusal(
      `stage parameter tableWarmWritesPerSecond must be 0 or from 4000 (what a new table takes anyway) to 40000, not ${warmWritesPerSecond}`,
    );
  }
  const keep = await flag(resolver, 'keepTables');
  const deletionProtection = await flag(resolver, 'tableDeletionProtection');
  if (deletionProtection && !keep) {
    throw refusal(
      'stage parameter tableDeletionProtection needs keepTables=true: a stack whose tables go with it could not be removed',
    );
  }
  return {
    policy: keep ? 'Retain' : 'Delete',
    deletionProtection,
    keepPreviousRunningIndex: condition(await flag(resolver, 'keepPreviousRunningIndex')),
    warm: condition(warmWritesPerSecond > 0),
    // Off, the template still holds the value in the branch it does not take: a valid one.
    warmWritesPerSecond: warmWritesPerSecond || 4_000,
  };
}

/**
 * `alarmOkNotifications`, checked: the alarms notify on ALARM only unless it is true.
 * @param {Resolver} resolver
 */
async function alarms(resolver) {
  return { okNotifications: condition(await flag(resolver, 'alarmOkNotifications')) };
}

/**
 * Reserved concurrency of ingest and the consumer (0: none), and the consumer's SQS maximum
 * concurrency. A consumer reservation below the maximum would throttle the event source mapping,
 * and each throttled receive counts towards the dead-letter queue: refused here.
 * @param {Resolver} resolver
 */
async function concurrency(resolver) {
  const ingestReserved = await integer(resolver, 'ingestReservedConcurrency', 0, 10_000);
  const consumerReserved = await integer(resolver, 'consumerReservedConcurrency', 0, 10_000);
  const consumerMaximum = await integer(resolver, 'consumerMaxConcurrency', 2, 1_000);
  if (consumerReserved > 0 && consumerReserved < consumerMaximum) {
    throw refusal(
      `stage parameter consumerReservedConcurrency (${consumerReserved}) must be 0 or at least ` +
        `consumerMaxConcurrency (${consumerMaximum}): throttled receives push callbacks to the DLQ`,
    );
  }
  return {
    ingestReserved,
    ingestReserves: condition(ingestReserved > 0),
    consumerReserved,
    consumerReserves: condition(consumerReserved > 0),
    consumerMaximum,
  };
}

/**
 * The optional custom domain: both `domainName` and `certificateArn`, or neither. A REGIONAL
 * domain name needs an ACM certificate of the stack's own region (not us-east-1's, as CloudFront's).
 * @param {Resolver} resolver
 */
async function customDomain(resolver) {
  const domainName = await param(resolver, 'domainName');
  const certificateArn = await param(resolver, 'certificateArn');
  if (Boolean(domainName) !== Boolean(certificateArn)) {
    throw refusal('stage parameters domainName and certificateArn go together: set both or neither');
  }
  if (certificateArn) {
    const region = String(await resolver.resolveVariable('self:provider.region'));
    const arn = /^arn:aws[a-zA-Z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/.+$/.exec(certificateArn);
    if (!arn)
      throw refusal(`stage parameter certificateArn is not an ACM certificate ARN: "${certificateArn}"`);
    if (arn[1] !== region) {
      throw refusal(
        `stage parameter certificateArn is in ${arn[1]}; the API's regional domain needs one in ${region}`,
      );
    }
  }
  return { domainName, certificateArn, enabled: condition(Boolean(domainName)) };
}

/**
 * What the hooks may use: IAM managed policies attached to the consumer's and the check's roles
 * (`hookPolicyArns`, separated by commas; IAM attaches at most 10 to a role), and the SSM path of
 * their settings (`hookParametersPath`; empty: none). The path is granted whole (GetParametersByPath
 * reads everything under it), so it may not hold the callback secret or the ServerSecret.
 * @param {Resolver} resolver
 */
async function hooks(resolver) {
  const policyArns = (await param(resolver, 'hookPolicyArns'))
    .split(',')
    .map((arn) => arn.trim())
    .filter(Boolean);
  for (const arn of policyArns) {
    if (!/^arn:aws[a-zA-Z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/.test(arn)) {
      throw refusal(`stage parameter hookPolicyArns holds "${arn}", which is not an IAM managed policy ARN`);
    }
  }
  if (policyArns.length > 10) {
    throw refusal(
      `stage parameter hookPolicyArns names ${policyArns.length} policies; IAM attaches at most 10 to a role`,
    );
  }
  const parametersPath = await param(resolver, 'hookParametersPath');
  if (parametersPath && !SSM_NAME.test(parametersPath)) {
    throw refusal(
      `stage parameter hookParametersPath must be an SSM path such as /zego-mix-callbacks/prod/hooks (no "/" at the end), not "${parametersPath}"`,
    );
  }
  for (const secret of ['callbackSecretParam', 'serverSecretParam']) {
    const name = await param(resolver, secret);
    if (parametersPath && name.startsWith(`${parametersPath}/`)) {
      throw refusal(
        `stage parameter hookParametersPath (${parametersPath}) holds ${secret} (${name}); your hooks would read the pipeline's own secret: choose another path`,
      );
    }
  }
  return { policyArns, parametersPath, hasParameters: condition(Boolean(parametersPath)) };
}

/**
 * The HTTP API's access log (`apiAccessLogs`), as serverless's provider.logs.httpApi takes it: off,
 * or one JSON line a request with what tells API Gateway's own answers (429, 413) from ingest's.
 * @param {Resolver} resolver
 */
async function api(resolver) {
  if (!(await flag(resolver, 'apiAccessLogs'))) return { accessLogs: false };
  const fields = {
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    error: '$context.error.message',
  };
  return { accessLogs: { format: JSON.stringify(fields) } };
}

/**
 * The secrets' parameter names and the appids, checked here so a typo stops the package with a
 * sentence instead of every callback's cold start with a 503: `callbackSecretParam` (required) and
 * `serverSecretParam` (empty: reconciliation off) as full SSM names, `appIds` as ZEGO appids (digits,
 * separated by commas or spaces), given to the functions as one comma-separated list.
 * @param {Resolver} resolver
 */
async function secrets(resolver) {
  const names = {};
  for (const [name, required] of [
    ['callbackSecretParam', true],
    ['serverSecretParam', false],
  ]) {
    const value = await param(resolver, name);
    if ((value || required) && (!SSM_NAME.test(value) || value.length > 1011)) {
      throw refusal(
        `stage parameter ${name} must be a full SSM parameter name such as /zego-mix-callbacks/prod/callback-secret, not "${value}"`,
      );
    }
    names[name] = value;
  }
  const ids = (await param(resolver, 'appIds')).split(/[\s,]+/).filter(Boolean);
  const bad = ids.find((id) => !/^\d{1,10}$/.test(id));
  if (bad !== undefined) {
    throw refusal(
      `stage parameter appIds must list ZEGO appids (digits) separated by commas, such as 1234567890,2345678901; "${bad}" is not one`,
    );
  }
  return { ...names, appIds: ids.join(',') };
}

const BUS_NAME = /^[\w.\-/]{1,256}$/;
const BUS_ARN = /^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256}$/;

/**
 * Run events (docs/events.md): `publishEvents` turns publishing on; `eventBusName` empty publishes
 * to a bus of the stack's own, else to an existing bus, by name (this account and region) or ARN;
 * `eventArchiveDays` above 0 archives the stack's own bus for that many days (an archive belongs to
 * the bus's owner: one on another bus is made where that bus is defined). A bus or an archive
 * asked for with publishing off is refused rather than silently ignored.
 * @param {Resolver} resolver
 */
async function events(resolver) {
  const publish = await flag(resolver, 'publishEvents');
  const bus = await param(resolver, 'eventBusName');
  const archiveDays = await integer(resolver, 'eventArchiveDays', 0, 3_650);
  if (bus && !BUS_NAME.test(bus) && !BUS_ARN.test(bus)) {
    throw refusal(`stage parameter eventBusName must be an event bus name or an event bus ARN, not "${bus}"`);
  }
  if (!publish && (bus || archiveDays > 0)) {
    throw refusal('stage parameters eventBusName and eventArchiveDays need publishEvents: true');
  }
  if (bus && archiveDays > 0) {
    throw refusal(
      "stage parameter eventArchiveDays archives the stack's own bus only: with eventBusName set, archive that bus where it is defined",
    );
  }
  return {
    publish: condition(publish),
    ownBus: condition(publish && !bus),
    archive: condition(publish && !bus && archiveDays > 0),
    // Off, the template still holds these in the branches it does not take: valid values.
    archiveDays: archiveDays || 1,
    externalByArn: condition(BUS_ARN.test(bus)),
    externalByName: condition(BUS_NAME.test(bus)),
    externalBusArn: BUS_ARN.test(bus) ? bus : 'arn:aws:events:us-east-1:000000000000:event-bus/unused',
    externalBusNamed: BUS_NAME.test(bus) ? bus : 'unused',
    // The functions' EVENT_BUS_NAME when it is not the stack's own bus: empty is off.
    externalBusName: bus,
  };
}

module.exports = { orphanCheck, tables, alarms, concurrency, customDomain, hooks, api, secrets, events };
