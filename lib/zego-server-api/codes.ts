/**
 * The answer codes of ZEGO's server API that the client and the local fake agree on (ZEGO's docs:
 * common codes and GetMixTaskInfo's own). Any other code is unknown to us.
 */
export const ZEGO_API_CODE = {
  success: 0,
  signatureExpired: 100000004,
  signatureWrong: 100000005,
  failed: 110200001,
  badInput: 110200004,
  overloaded: 110200194,
  mixTaskNotFound: 110209001,
} as const;

/** How far a request's Timestamp may be from ZEGO's clock. */
export const SIGNATURE_SKEW_SECONDS = 600;
