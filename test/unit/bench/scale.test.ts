import { describe, expect, it } from 'vitest';
import { scaleBlock, withScaleBlock } from '../../../bench/scale-report';
import { replayUpdate } from '../../../bench/scale-seed';

describe('the scale seed’s replay of the store’s writes', () => {
  const key = { appid: { S: '1' }, task_id: { S: 't' } };

  it('sets, keeps what if_not_exists finds, and removes, as DynamoDB applies an UpdateItem', () => {
    const first = replayUpdate(undefined, {
      TableName: 'tasks',
      Key: key,
      UpdateExpression: 'SET #status = :status, #runId = if_not_exists(#runId, :runId) REMOVE #stoppedAt',
      ExpressionAttributeNames: { '#status': 'status', '#runId': 'runId', '#stoppedAt': 'stoppedAt' },
      ExpressionAttributeValues: { ':status': { S: 'running' }, ':runId': { S: 'r1' } },
    });
    expect(first).toEqual({ ...key, status: { S: 'running' }, runId: { S: 'r1' } });
    const second = replayUpdate(
      { ...first, stoppedAt: { N: '5' } },
      {
        TableName: 'tasks',
        Key: key,
        UpdateExpression: 'SET #runId = if_not_exists(#runId, :runId), #seq = :seq REMOVE #stoppedAt, #gone',
        ExpressionAttributeNames: {
          '#runId': 'runId',
          '#seq': 'seq',
          '#stoppedAt': 'stoppedAt',
          '#gone': 'gone',
        },
        ExpressionAttributeValues: { ':runId': { S: 'r2' }, ':seq': { N: '7' } },
      },
    );
    expect(second).toEqual({ ...key, status: { S: 'running' }, runId: { S: 'r1' }, seq: { N: '7' } });
  });

  it('refuses an update it cannot replay rather than guess', () => {
    const update = (UpdateExpression: string) => () =>
      replayUpdate(undefined, {
        TableName: 'tasks',
        Key: key,
        UpdateExpression,
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':n': { N: '1' } },
      });
    expect(update('SET #n = #n + :n')).toThrow(/cannot replay/);
    expect(update('ADD #n :n')).toThrow(/cannot replay/);
    expect(update('SET #m = :n')).toThrow(/#m is not in ExpressionAttributeNames/);
  });
});

describe('the scale block of BENCHMARKS.md', () => {
  const file = (block: string) => `# Benchmarks\n\n${block}\n\n## After\n`;

  it('is replaced by new figures, and the rest of the file kept', () => {
    const before = file(scaleBlock(''));
    const after = withScaleBlock(before, '| figures |');
    expect(after).toBe(file('<!-- bench:scale begin -->\n| figures |\n<!-- bench:scale end -->'));
    expect(scaleBlock(after)).toBe('<!-- bench:scale begin -->\n| figures |\n<!-- bench:scale end -->');
  });

  it('is a placeholder until measured, and a file without it is refused', () => {
    expect(scaleBlock('# Benchmarks')).toMatch(/Not measured yet: `npm run bench:scale/);
    expect(() => withScaleBlock('# Benchmarks', '| figures |')).toThrow(/no <!-- bench:scale begin -->/);
  });
});
