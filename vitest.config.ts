import { defineConfig } from 'vitest/config'

// Integration and end-to-end files share one Docker engine (one of them restarts it), so
// files run one at a time; tests inside a file stay sequential too. Unit files are fast anyway.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
})
