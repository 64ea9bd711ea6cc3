/** API Gateway's throttling limits of a route. */
export interface ThrottleLimits {
  /** Requests per second, sustained: the bucket refills at this rate. */
  rate: number;
  /** Requests at once: the bucket's size, full at the start. */
  burst: number;
}

/**
 * API Gateway's throttle: a bucket of `burst` tokens, refilled at `rate` tokens a second; each request
 * takes one, and a request that finds none is refused. Returns `take`, true when the request may pass.
 */
export function tokenBucket({ rate, burst }: ThrottleLimits, now: () => number = Date.now): () => boolean {
  let tokens = burst;
  let last = now();
  return () => {
    const at = now();
    tokens = Math.min(burst, tokens + (Math.max(0, at - last) / 1_000) * rate);
    last = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
