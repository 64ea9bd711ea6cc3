import { describe, expect, it } from 'vitest';
import { httpApiEvent } from '../../../tools/aws-events/http-api';
import { sqsFifoRecord } from '../../../tools/aws-events/sqs';
import postCallback from '../../events/apigw/post-callback.json';
import fifoRecord from '../../events/sqs/fifo-record.json';

/** Every key path of a value, so two events can be compared by shape. */
function shape(value: unknown, at = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [at];
  return Object.entries(value).flatMap(([key, inner]) => shape(inner, at ? `${at}.${key}` : key));
}

describe('the event builders, against events recorded from AWS (test/events)', () => {
  it('build an HTTP API event of the recorded shape', () => {
    const built = httpApiEvent({ body: '{}', headers: { 'Content-Type': 'application/json' } });
    const recorded = shape(postCallback).filter((path) => !path.startsWith('headers.'));
    expect(
      shape(built)
        .filter((path) => !path.startsWith('headers.'))
        .sort(),
    ).toEqual(recorded.sort());
    expect(built).toMatchObject({
      body: '{}',
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json' },
    });
  });

  it('base64-encode a body whose Content-Type is not text, as HTTP APIs do', () => {
    const built = httpApiEvent({
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(built).toMatchObject({ body: Buffer.from('a=1').toString('base64'), isBase64Encoded: true });
    expect(httpApiEvent({ body: '' })).toMatchObject({ body: undefined, isBase64Encoded: false });
  });

  it('build an SQS FIFO record of the recorded shape', () => {
    const built = sqsFifoRecord({ body: '{}', groupId: 'g', deduplicationId: 'd', receiveCount: 3 });
    expect(shape(built).sort()).toEqual(shape(fifoRecord).sort());
    expect(built).toMatchObject({
      md5OfBody: fifoRecord.md5OfBody,
      attributes: { MessageGroupId: 'g', MessageDeduplicationId: 'd', ApproximateReceiveCount: '3' },
    });
  });
});
