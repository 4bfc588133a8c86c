// Preloaded with `node --require` for the footprint's what-if: replaces the modules dockerode
// loads eagerly but deckhand never calls (BuildKit sessions: @grpc/grpc-js, @grpc/proto-loader,
// protobufjs; ssh:// engines: ssh2) with stubs that throw if used. It measures what lazy
// loading of those would save; deckhand's own code is unchanged.
const Module = require('node:module')

const STUBBED = new Set(['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', 'ssh2'])
const originalLoad = Module._load

function stub(request) {
  const fail = function () {
    throw new Error(`${request} is stubbed out by bench/stub-heavy-deps.cjs`)
  }
  return new Proxy({}, { get: (_, key) => (typeof key === 'symbol' || key === '__esModule' ? undefined : fail) })
}

Module._load = function load(request, parent, isMain) {
  if (STUBBED.has(request)) return stub(request)
  return originalLoad.call(this, request, parent, isMain)
}
