/** Jest runs TypeScript through SWC (no type-checking here: `npm run typecheck` does that). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  // A fresh directory per run where test files share synthesized stacks (__tests__/helpers/synth-cache.ts).
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/global-teardown.ts",
  // Synthesizing a stack is CPU-bound; two workers match the 2-core machines this runs on.
  maxWorkers: 2,
  testTimeout: 60000,
};
