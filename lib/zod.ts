/**
 * zod for lib/: its tree-shakable API (`zod/mini`) with the English messages the classic API loads
 * by itself. Every schema in lib/ imports `* as z` from here, so the messages are configured before
 * any schema parses. Against `zod`, this keeps ~70 KB (methods on every schema, JSON Schema output)
 * out of each function bundle, which a cold start would parse before its first event (BENCHMARKS.md).
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
