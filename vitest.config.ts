import { defineConfig } from 'vitest/config'

// Two groups. Unit tests (pure code, fakes, mocks, the loopback AWS emulator on its own) run
// in parallel first. Then everything that drives the one shared Docker engine runs a file at a
// time, since one of them restarts dockerd and all of them start containers.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/adapters/docker/**', 'test/e2e/**', 'test/architecture/**', 'test/faults/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'docker',
          include: ['test/adapters/docker/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/architecture/**/*.test.ts', 'test/faults/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
