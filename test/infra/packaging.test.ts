import { describe, expect, inject, it } from 'vitest';
import { userPackageListing } from '../support/packaged-stacks';

describe('packaging for the tests', () => {
  it("leaves the user's .serverless/ (from npm run package) as it was", async () => {
    expect(await userPackageListing()).toEqual(inject('packagedStacks').userPackageBefore);
  });
});
