import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const KIT_DIR = '.tmp/bench-kit'

/** Where bench/raw-kit.ts is bundled; bench/raw-boot.mjs loads it from RAW_KIT. */
export function rawKitPath(root: string): string {
  return join(root, KIT_DIR, 'raw-kit.js')
}

/** Bundles bench/raw-kit.ts the way `npm run build` bundles dist/. */
export async function buildRawKit(root: string): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build.mjs', KIT_DIR, 'bench/raw-kit.ts'], { cwd: root })
}
