import { defineConfig } from "vitest/config";

// Three projects, one command: fast pure-logic unit tests beside the sources, Callback API tests
// against real PostgreSQL and PGlite, and integration tests against a real control plane.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "callback-api",
          include: ["test/callback-api/**/*.test.ts"],
          globalSetup: ["test/callback-api/postgres.global-setup.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/reliability/**/*.test.ts"],
          globalSetup: ["test/support/control-plane.global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
