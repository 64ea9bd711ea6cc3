#!/usr/bin/env node
// `npx zego ...`: runs the TypeScript CLI through tsx (a dev dependency of this repository).
require('tsx/cjs');
require('./zego.ts');
