import { createConnection, createServer, type Socket } from 'node:net';

/**
 * - pass: bytes go through to the engine;
 * - refuse: connections are reset at once (the engine is down);
 * - hang: connections are accepted and never answered (the engine is stuck);
 * - throttle: every request gets DynamoDB's throttling error (HTTP 400), as under a hot partition.
 */
export type FaultMode = 'pass' | 'refuse' | 'hang' | 'throttle';

const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
});

/**
 * A TCP proxy on loopback in front of a local engine, whose failure mode a test switches.
 * Switching drops every open connection, so an SDK's kept-alive sockets see the change too.
 */
export async function startFaultProxy(targetPort: number) {
  let mode: FaultMode = 'pass';
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (mode === 'refuse') return void client.resetAndDestroy();
    if (mode === 'hang') return;
    if (mode === 'throttle') {
      client.once('data', () => {
        client.end(
          `HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: ${Buffer.byteLength(THROTTLED)}\r\nconnection: close\r\n\r\n${THROTTLED}`,
        );
      });
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    set(next: FaultMode) {
      mode = next;
      for (const socket of open) socket.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
