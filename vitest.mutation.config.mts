import { defineConfig } from 'vitest/config';
import base from './vitest.config.mjs';

/**
 * The tests a mutation run (stryker.config.mjs) uses: the `unit` and `integration` projects only.
 * `faults`, `e2e` and `infra` are left out: they spawn processes (npm start, serverless package),
 * break engines on purpose and wait out timeouts, so each mutant would cost minutes; what they
 * guard is covered here by the two projects kept.
 *
 * Unit tests run first (groupOrder; vitest would otherwise run projects by name): a mutant that a
 * unit test kills then stops the run (Stryker bails at the first failure) before any engine work.
 */
const GROUP_ORDER: Record<string, number> = { unit: 0, integration: 1 };

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    projects: (base.test?.projects ?? []).flatMap((project) => {
      if (typeof project !== 'object' || !('test' in project)) return [];
      const groupOrder = GROUP_ORDER[String(project.test?.name)];
      return groupOrder === undefined
        ? []
        : [{ ...project, test: { ...project.test, sequence: { groupOrder } } }];
    }),
  },
});
