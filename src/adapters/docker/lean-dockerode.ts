import { createRequire, Module } from 'node:module'
import type Dockerode from 'dockerode'

/**
 * dockerode without the two parts deckhand never runs.
 *
 * When it loads, dockerode 4 requires its BuildKit session support (`lib/session.js`: gRPC,
 * proto-loader, protobufjs) and docker-modem requires its ssh:// transport (`lib/ssh.js`: ssh2),
 * though neither is used until an image is built or DOCKER_HOST is an ssh:// address. deckhand
 * builds nothing and talks to the engine over its socket or tcp, so those modules cost about
 * 11 MB of RSS and 70 ms of every start for nothing (docs/benchmarks.md). Before dockerode
 * loads, those two files are put in Node's require cache ("adding or replacing entries is
 * possible", Node's modules documentation) with stand-ins that say what deckhand does not do.
 * Everything else is dockerode as published.
 */
const require = createRequire(import.meta.url)
const dockerodeMain = require.resolve('dockerode')
const modemMain = createRequire(dockerodeMain).resolve('docker-modem')

export const SSH_UNSUPPORTED =
  "deckhand does not reach the Docker engine over ssh://; set DOCKER_HOST to the engine's unix socket (unix:///var/run/docker.sock) or a tcp:// address."
export const BUILD_UNSUPPORTED = 'deckhand does not build images; build and push them before you release.'

standIn(createRequire(dockerodeMain).resolve('./session'), () => {
  throw new Error(BUILD_UNSUPPORTED)
})
standIn(createRequire(modemMain).resolve('./ssh'), () => {
  throw new Error(SSH_UNSUPPORTED)
})

export const LeanDockerode = require('dockerode') as typeof Dockerode

function standIn(filename: string, exports: unknown): void {
  if (require.cache[filename] !== undefined) return
  const stand = new Module(filename)
  stand.filename = filename
  stand.loaded = true
  stand.exports = exports
  require.cache[filename] = stand
}
