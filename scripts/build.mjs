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
import { rm } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

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

// node scripts/build.mjs [OUTDIR [ENTRY...]]: dist/main.js from src/launch.ts by default, which
// turns on the compile cache and then loads src/main.ts as a chunk.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [outdir = 'dist', ...entries] = process.argv.slice(2)
  await bundle({ entryPoints: entries.length > 0 ? entries : [{ in: 'src/launch.ts', out: 'main' }], outdir })
}
