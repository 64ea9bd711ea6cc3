import { join } from 'node:path';

/** The secret `npm start` uses unless ZEGO_CALLBACK_SECRET is set. For local use only. */
export const LOCAL_DEV_SECRET = 'local-dev-secret-not-for-production';

/** The ServerSecret `npm start`'s fake of ZEGO's server API checks (ZEGO_SERVER_SECRET changes it). */
export const LOCAL_SERVER_SECRET = 'local-dev-server-secret-not-for-production';

/** The appid local tools send as by default; the fake of ZEGO's server API knows it. */
export const LOCAL_APPID = '111111';

export const LOCAL_PORTS = { http: 3000, sqs: 9324, dynamodb: 8000, zegoApi: 3001 };

/** Where `npm start` writes where its engines are, for the CLI (ZEGO_LOCAL_STATE moves it). */
export function localStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZEGO_LOCAL_STATE || join(__dirname, '..', '..', '.local', 'stack.json');
}

/** The secret `npm start` checks: ZEGO_CALLBACK_SECRET when set and not empty, else the development one. */
export function localSecret(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZEGO_CALLBACK_SECRET || LOCAL_DEV_SECRET;
}
