import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// `npm run faults` (under the docker lock): the long fault runs (*.fault.ts) and the short ones
// CI also runs (*.test.ts here), a file at a time on the shared engine, each fault
// DECKHAND_FAULT_TRIES times; the table for docs/reliability.md is printed at the end.
// Set here, in the main process, so the global setup and every test worker see the same file.
process.env.DECKHAND_FAULTS_REPORT ??= join(tmpdir(), 'deckhand-faults.jsonl')

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/faults/**/*.fault.ts', 'test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/report.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
