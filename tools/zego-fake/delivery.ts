import { setTimeout as sleep } from 'node:timers/promises';

export interface Attempt {
  /** The HTTP status, or undefined when no answer came (refused, timed out). */
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

/** One POST, as ZEGO makes it. Never throws: a failure is an attempt without a status. */
export async function postCallback(
  url: string,
  body: string,
  contentType: string,
  timeoutMs = 5_000,
): Promise<Attempt> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.status,
      body: await response.text(),
      ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    return { error: describeFetchError(error, url, timeoutMs), ms: Math.round(performance.now() - started) };
  }
}

function describeFetchError(error: unknown, url: string, timeoutMs: number): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return `no answer from ${url} within ${timeoutMs} ms`;
  if (cause?.code === 'ECONNREFUSED') return `connection refused by ${url}`;
  if (cause?.code === 'ENOTFOUND') return `host not found: ${new URL(url).host}`;
  return `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`;
}

/** ZEGO's documented retry schedule: 5 retries, 2, 4, 8, 16 and 32 s after the previous attempt. */
const ZEGO_RETRY_DELAYS_MS = [2_000, 4_000, 8_000, 16_000, 32_000] as const;

export interface ZegoDeliveryOptions {
  /** Multiplies the retry delays: 0.01 makes ZEGO's 62 s of retries last 0.62 s. */
  timeScale?: number;
  /** How long ZEGO waits for an answer. Not documented; 5 s is our assumption. */
  attemptTimeoutMs?: number;
  /** Called after each attempt, e.g. to print it. */
  onAttempt?: (attempt: Attempt, index: number) => void;
}

export interface ZegoDelivery {
  attempts: Attempt[];
  /** delivered: some attempt got a 2xx. lost: every attempt failed, and ZEGO gives up for good. */
  outcome: 'delivered' | 'lost';
}

/**
 * Delivers one callback the way ZEGO's server does: any 2xx is success; a non-2xx status or no
 * answer within the timeout is a failure, retried on ZEGO's schedule; after the last retry the
 * callback is lost by ZEGO.
 */
export async function deliverLikeZego(
  url: string,
  body: string,
  contentType: string,
  { timeScale = 1, attemptTimeoutMs = 5_000, onAttempt }: ZegoDeliveryOptions = {},
): Promise<ZegoDelivery> {
  const attempts: Attempt[] = [];
  for (let index = 0; index <= ZEGO_RETRY_DELAYS_MS.length; index++) {
    if (index > 0) await sleep((ZEGO_RETRY_DELAYS_MS[index - 1] ?? 0) * timeScale);
    const attempt = await postCallback(url, body, contentType, attemptTimeoutMs);
    attempts.push(attempt);
    onAttempt?.(attempt, index);
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
      return { attempts, outcome: 'delivered' };
    }
  }
  return { attempts, outcome: 'lost' };
}
