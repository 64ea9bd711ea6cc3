import { setTimeout as sleep } from 'node:timers/promises';
import { buildCallback, type Encoding, encodeCallback } from '../../tools/zego-fake/callbacks';
import { type Attempt, deliverLikeZego, postCallback } from '../../tools/zego-fake/delivery';
import { driveFakeMix } from '../../tools/zego-fake/server-api';
import { CommandFailedError, integer, parse, UsageError } from '../args';
import { localCallbackUrl, runningLocalStack, secretForAppid, signingSecret } from '../target';

export const SEND_HELP = `Usage: zego send [options]

Builds a signed mix_stop (or mix_start) callback and POSTs it as ZEGO does.

  --url URL          where to send (default: the local stack, ${'http://localhost:3000/zego/callback'})
  --event E          stop or start (default stop)
  --appid ID         default 111111
  --task ID          task_id (default demo-<time>)
  --seq N            default: the current time in milliseconds (unique and increasing)
  --secret S         the secret, several as new,old (signs with the first), or a per-appid JSON
                     book (signs with --appid's); default: ZEGO_CALLBACK_SECRET, else the running
                     \`npm start\`'s secret, else the local development secret
  --room R           channel_id (default room-1)
  --publisher P      publish_id (default user-1)
  --mix-url U        output RTMP URL
  --alias A          mix_stream_alias
  --play-url U       a play URL for mix_start (repeat the flag for several)
  --encoding E       json, form or percent-json (default json)
  --repeat N         send the same callback N times in all, whatever the answers (default 1);
                     the queue keeps one and the consumer applies it once
  --delay-ms D       wait between repeats (default 0)
  --like-zego        instead, retry as ZEGO does: after a non-2xx or no answer, 5 retries
                     2, 4, 8, 16, 32 s apart, then give up
  --time-scale F     with --like-zego, multiply those delays by F (e.g. 0.1)
  --timeout-ms T     give up on an answer after T ms (default 5000)
  --json             print one JSON line per attempt`;

export const SEND_OPTIONS = {
  url: { type: 'string' },
  event: { type: 'string', default: 'stop' },
  appid: { type: 'string', default: '111111' },
  task: { type: 'string' },
  seq: { type: 'string' },
  secret: { type: 'string' },
  room: { type: 'string' },
  publisher: { type: 'string' },
  'mix-url': { type: 'string' },
  alias: { type: 'string' },
  'play-url': { type: 'string', multiple: true },
  encoding: { type: 'string', default: 'json' },
  repeat: { type: 'string' },
  'delay-ms': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'like-zego': { type: 'boolean', default: false },
  'time-scale': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function send(args: string[]): Promise<void> {
  const { values } = parse(args, SEND_OPTIONS);
  if (values.help) return void console.log(SEND_HELP);

  const event = { stop: 'mix_stop', start: 'mix_start', mix_stop: 'mix_stop', mix_start: 'mix_start' }[
    values.event
  ];
  if (!event) throw new UsageError(`--event must be stop or start, not "${values.event}"`);
  if (!['json', 'form', 'percent-json'].includes(values.encoding)) {
    throw new UsageError(`--encoding must be json, form or percent-json, not "${values.encoding}"`);
  }
  if (!/^\d+$/.test(values.appid)) throw new UsageError(`--appid must be digits, not "${values.appid}"`);
  if (values.seq !== undefined && !/^\d+$/.test(values.seq))
    throw new UsageError(`--seq must be digits, not "${values.seq}"`);
  const url = values.url ?? localCallbackUrl();
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: "${url}"`);
  }
  const repeat = integer(values.repeat, 'repeat', 1, 1);
  const delayMs = integer(values['delay-ms'], 'delay-ms', 0);
  const timeoutMs = integer(values['timeout-ms'], 'timeout-ms', 5_000, 1);

  const { secret: spec, source } = signingSecret(values.secret);
  const secret = secretForAppid(spec, source, values.appid);
  const fields = buildCallback({
    event: event as 'mix_start' | 'mix_stop',
    appid: values.appid,
    taskId: values.task ?? `demo-${Date.now()}`,
    seq: values.seq ?? String(Date.now()),
    secret,
    room: values.room,
    publisher: values.publisher,
    mixUrl: values['mix-url'],
    alias: values.alias,
    playUrls: values['play-url'],
  });
  const { body, contentType } = encodeCallback(fields, values.encoding as Encoding);
  if (!values.json)
    console.log(`${event} appid=${fields.appid} task=${fields.task_id} seq=${fields.seq} -> ${url}`);

  const print = (attempt: Attempt, index: number) => {
    if (values.json) {
      console.log(
        JSON.stringify({ attempt: index + 1, task_id: fields.task_id, seq: fields.seq, ...attempt }),
      );
    } else {
      const outcome = attempt.status ? `${attempt.status} ${attempt.body ?? ''}` : `failed: ${attempt.error}`;
      console.log(`  #${index + 1}  ${outcome.trim()}  (${attempt.ms} ms)`);
    }
  };

  let last: Attempt | undefined;
  if (values['like-zego']) {
    const timeScale = Number(values['time-scale'] ?? 1);
    if (!(timeScale >= 0))
      throw new UsageError(`--time-scale must be a number of at least 0, not "${values['time-scale']}"`);
    const delivery = await deliverLikeZego(url, body, contentType, {
      timeScale,
      attemptTimeoutMs: timeoutMs,
      onAttempt: print,
    });
    last = delivery.attempts.at(-1);
    if (!values.json)
      console.log(
        `  ${delivery.outcome === 'delivered' ? 'delivered' : 'lost: ZEGO gives up here'} after ${delivery.attempts.length} attempt(s)`,
      );
  } else {
    let accepted = 0;
    for (let index = 0; index < repeat; index++) {
      if (index > 0 && delayMs > 0) await sleep(delayMs);
      last = await postCallback(url, body, contentType, timeoutMs);
      if (last.status && last.status < 300) accepted += 1;
      print(last, index);
    }
    if (accepted > 1 && !values.json)
      console.log(
        `  the endpoint took it ${accepted} times; the queue kept one (SQS de-duplicates by the callback's identity: appid, task_id, event, seq) and the consumer applies it once`,
      );
  }
  if (!last?.status || last.status >= 300) {
    const hint =
      last?.status === 401
        ? ` It was signed with ${source}: give the endpoint's secret with --secret or ZEGO_CALLBACK_SECRET.`
        : last?.error?.startsWith('connection refused') && !values.url
          ? ' Is `npm start` running? Start it in another terminal.'
          : '';
    throw new CommandFailedError(
      `the callback was not accepted${last?.status ? ` (HTTP ${last.status})` : ''}.${hint}`,
    );
  }
  if (!values.url)
    await tellLocalZego(event === 'mix_start' ? 'start' : 'stop', values.appid, String(fields.task_id));
}

/** Against npm start, ZEGO's side (its fake server API) learns the mix runs or ended, as ZEGO would. */
async function tellLocalZego(action: 'start' | 'stop', appid: string, taskId: string): Promise<void> {
  const { zegoApiUrl } = runningLocalStack();
  if (zegoApiUrl) await driveFakeMix(zegoApiUrl, action, appid, taskId).catch(() => {});
}
