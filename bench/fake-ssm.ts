/**
 * A stand-in for SSM Parameter Store on loopback that answers GetParameter for one SecureString,
 * so the benchmark can start ingest as a deployed stage starts it: its secret named by
 * ZEGO_CALLBACK_SECRET_PARAM, read on the first request. Only what that one call needs.
 */
import { createServer } from 'node:http';

export interface FakeSsm {
  /** AWS_ENDPOINT_URL_SSM and the parameter's name, for a function's environment. */
  env: { AWS_ENDPOINT_URL_SSM: string; ZEGO_CALLBACK_SECRET_PARAM: string; ZEGO_CALLBACK_SECRET: string };
  stop: () => Promise<void>;
}

export async function startFakeSsm(name: string, value: string): Promise<FakeSsm> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const asked =
        request.headers['x-amz-target'] === 'AmazonSSM.GetParameter' && JSON.parse(body).Name === name;
      response.writeHead(asked ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify(
          asked
            ? { Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1 } }
            : { __type: 'ParameterNotFound', message: 'only GetParameter of the benchmark secret' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the fake SSM has no port');
  return {
    env: {
      AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${address.port}`,
      ZEGO_CALLBACK_SECRET_PARAM: name,
      ZEGO_CALLBACK_SECRET: '', // unset: the secret comes from the parameter only
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
