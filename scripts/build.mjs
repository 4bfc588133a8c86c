// `npm run build`: src/ bundled by esbuild into dist/main.js, with a chunk for each command's
// lazily imported adapters. One file instead of a hundred small ones cuts about 50 ms off every
// start (docs/benchmarks.md); tsc still checks the types (`npm run typecheck`).
//
// Left outside the bundle, loaded from node_modules at run time:
// - dockerode, because src/adapters/docker/lean-dockerode.ts puts stand-ins in the require cache
//   before it loads, and that works only on the published files;
// - the AWS SDK, which only `deckhand agent` loads, and whose own lazy imports are best left as
//   published.
// The output must sit inside this repository (dist/, .tmp/...), where node_modules is found.
//
// With no arguments it also packs what the AMI installs at /opt/deckhand (ami/scripts/40-deckhand.sh):
// artifact/deckhand.tar.gz, holding deckhand/{dist, node_modules, package.json, package-lock.json,
// README.md, examples}. node_modules is the production tree of package-lock, installed by
// `npm ci --omit=dev --ignore-scripts` (no native builds: Node 22 on the instance is not the Node
// that builds; the only native addons, ssh2's and cpu-features', are optional).
import { execFile } from 'node:child_process'
import { cp, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'

const run = promisify(execFile)

/** Bundles `entryPoints` into an emptied `outdir`, the way dist/ is built. */
export async function bundle({ entryPoints, outdir }) {
  await rm(outdir, { recursive: true, force: true })
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    chunkNames: 'chunks/[name]-[hash]',
    external: ['dockerode', '@aws-sdk/*', '@smithy/*'],
    // The CommonJS packages inside the bundle (pino, yaml...) call require().
    banner: { js: "import { createRequire as __deckhandCreateRequire } from 'node:module'; const require = __deckhandCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  })
}

/** Packs `dist` with its production dependencies into `<outdir>/deckhand.tar.gz`; returns its path. */
export async function packArtifact({ dist = 'dist', outdir = 'artifact' } = {}) {
  const stage = join(outdir, 'deckhand')
  await rm(outdir, { recursive: true, force: true })
  await mkdir(stage, { recursive: true })
  await cp(dist, join(stage, 'dist'), { recursive: true })
  await cp('examples', join(stage, 'examples'), { recursive: true })
  for (const file of ['package.json', 'package-lock.json', 'README.md']) await cp(file, join(stage, file))
  // --prefer-offline: the root `npm ci` has just filled the cache with these exact versions.
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: stage })
  const archive = join(outdir, 'deckhand.tar.gz')
  await run('tar', ['-czf', archive, '-C', outdir, '--owner=0', '--group=0', '--sort=name', 'deckhand'])
  await rm(stage, { recursive: true, force: true })
  return archive
}

// node scripts/build.mjs [OUTDIR [ENTRY...]]: dist/main.js from src/launch.ts (which turns on the
// compile cache and then loads src/main.ts as a chunk) and artifact/ by default; with arguments,
// only the bundle.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [outdir = 'dist', ...entries] = process.argv.slice(2)
  await bundle({ entryPoints: entries.length > 0 ? entries : [{ in: 'src/launch.ts', out: 'main' }], outdir })
  if (process.argv.length <= 2) await packArtifact({ dist: outdir })
}
