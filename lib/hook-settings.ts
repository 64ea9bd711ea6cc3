import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { sharedSsmProvider } from './zego/ssm-client';
import * as z from './zod';

/**
 * Your hooks' own settings and secrets (docs/hooks.md, "Permissions, settings and secrets"), kept
 * out of the stack so that changing one needs no deploy:
 * - deployed: the SSM parameters directly under the stage's hook path (stage parameter
 *   `hookParametersPath`, default `/zego-mix-callbacks/<stage>/hooks`), String or SecureString, by
 *   their name under the path: `/zego-mix-callbacks/prod/hooks/BILLING_TABLE` is `BILLING_TABLE`.
 *   The consumer and the check may read that path and nothing else of SSM; a change reaches warm
 *   functions within `maxAgeSeconds`.
 * - `npm start` and tests: the JSON object in HOOK_SETTINGS, e.g. `{"BILLING_TABLE":"billing-dev"}`.
 */
export type HookSettings = Readonly<Record<string, string>>;

export interface HookSettingsOptions {
  env?: NodeJS.ProcessEnv;
  provider?: SSMProvider;
  /** How long a read is reused before SSM is asked again. */
  maxAgeSeconds?: number;
}

const inlineSettings = z.record(z.string().check(z.regex(/^[A-Za-z0-9_.-]+$/)), z.string());

/**
 * The hooks' settings: every parameter under the hook path, or the inline object. Empty when neither
 * is configured. A parameter that cannot be read throws, so the hook's record is delivered again.
 */
export async function hookSettings({
  env = process.env,
  provider,
  maxAgeSeconds = 300,
}: HookSettingsOptions = {}): Promise<HookSettings> {
  const inline = env.HOOK_SETTINGS;
  const path = env.HOOK_PARAMETERS_PATH;
  if (inline && path) throw new Error('set only one of HOOK_SETTINGS and HOOK_PARAMETERS_PATH');
  if (inline) return parseInline(inline);
  if (!path) return {};
  const read = await (provider ?? sharedSsmProvider()).getMultiple(path, {
    decrypt: true,
    recursive: false,
    maxAge: maxAgeSeconds,
  });
  // Powertools gives each parameter's value as text (a parameter with none is left out).
  return { ...(read as Record<string, string> | undefined) };
}

function parseInline(text: string): HookSettings {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('HOOK_SETTINGS must be a JSON object of names to strings');
  }
  const parsed = z.safeParse(inlineSettings, value);
  if (!parsed.success) {
    throw new Error(
      `HOOK_SETTINGS must be a JSON object of names to strings: ${z.describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** One setting, or an error that names it and where it should be. */
export async function hookSetting(name: string, options?: HookSettingsOptions): Promise<string> {
  const value = (await hookSettings(options))[name];
  if (value === undefined) {
    throw new Error(
      `the hook setting ${name} is not set: add it under the stage's hook parameter path (deployed) or to HOOK_SETTINGS (npm start)`,
    );
  }
  return value;
}
