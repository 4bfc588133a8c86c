#!/usr/bin/env node
/**
 * The built entry point, dist/main.js: turns on Node's compile cache, then loads the program.
 * A file of its own because a module's static imports are compiled before its first line runs;
 * from here every module of deckhand and of node_modules is compiled once and then read from
 * the cache (figures in docs/benchmarks.md).
 * Node 20 has no compile cache and runs the same code without it.
 */
import * as module from 'node:module'

module.enableCompileCache?.()
await import('./main.js')
