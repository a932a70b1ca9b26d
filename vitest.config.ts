import { configDefaults, defineConfig } from "vitest/config";

// The Callback API's reliability tests need PostgreSQL, not a control plane.
const CALLBACK_API_RELIABILITY = "test/reliability/callback-api-*.test.ts";

// Every project runs the program guard: a test that runs a program neither built by the project nor
// listed in the README's prerequisites fails (test/support/program-guard.ts).
const GUARD = {
  setupFiles: ["test/support/program-guard.setup.ts"],
  globalSetup: "test/support/program-guard.global-setup.ts",
};

// Four projects, one command: fast pure-logic unit tests beside the sources, Callback API tests
// against real PostgreSQL and PGlite, integration tests against a real control plane, and e2e
// tests of real pods on a real node of a plane of their own.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "bench/**/*.test.ts", "test/support/**/*.test.ts"],
          setupFiles: GUARD.setupFiles,
          globalSetup: [GUARD.globalSetup],
        },
      },
      {
        test: {
          name: "callback-api",
          include: ["test/callback-api/**/*.test.ts", CALLBACK_API_RELIABILITY],
          setupFiles: GUARD.setupFiles,
          globalSetup: [GUARD.globalSetup, "test/callback-api/postgres.global-setup.ts"],
          testTimeout: 60_000,
          // Opening PGlite compiles its WASM: about a second on an idle machine, ten or more on a
          // busy one (these files run in parallel, the load test among them).
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/reliability/**/*.test.ts"],
          exclude: [...configDefaults.exclude, CALLBACK_API_RELIABILITY],
          setupFiles: GUARD.setupFiles,
          globalSetup: [GUARD.globalSetup, "test/support/control-plane.global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Real pods of the product image on a real node (containerd, kubelet) beside kwok's.
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          setupFiles: GUARD.setupFiles,
          globalSetup: [GUARD.globalSetup, "test/e2e/real-node.global-setup.ts"],
          testTimeout: 300_000,
          // A cold tool cache builds the node's programs (containerd, CNI, the kubelet) first.
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
