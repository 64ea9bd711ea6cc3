/**
 * The layering, checked by `npm run check:layers` (in `npm run check`, so in CI):
 * - lib/ has no import loop and imports nothing of this repo outside lib/;
 * - functions/ import only lib/ (each is a few lines that build a handler);
 * - nothing at run time (lib/, functions/) imports a devDependency.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-loop-in-lib',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'lib-stays-in-lib',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(functions|cli|tools|scripts|bench|test)/' },
    },
    {
      name: 'functions-import-only-lib',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(cli|tools|scripts|bench|test|functions)/' },
    },
    {
      name: 'no-dev-dependency-at-run-time',
      severity: 'error',
      from: { path: '^(lib|functions)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
  },
};
