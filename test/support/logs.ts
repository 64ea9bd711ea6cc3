import { Logger } from '@aws-lambda-powertools/logger';
import { onTestFinished, vi } from 'vitest';

/**
 * A real Powertools logger whose output the calling test can read (restored when it ends). The logger writes through a Console
 * bound to process.stdout (info) and process.stderr (warn, error); spies on both see every line.
 */
export function capturedLogger(): {
  logger: Logger;
  lines: () => string[];
  records: () => Record<string, unknown>[];
} {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  onTestFinished(() => {
    for (const spy of spies) spy.mockRestore();
  });
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  const lines = () => written.join('').split('\n').filter(Boolean);
  return { logger, lines, records: () => lines().map((line) => JSON.parse(line)) };
}
