import { containerRuntimeContract } from '../../contract/container-runtime-contract.js'
import { FakeRuntime } from '../../support/fake-runtime.js'

// The same contract the real Docker runtime passes (test/adapters/docker), so the fake the
// supervisor's tests stand on cannot drift from the engine.
containerRuntimeContract('FakeRuntime', async () => {
  const runtime = new FakeRuntime()
  runtime.images.set('sleeper:1', {})
  runtime.images.set('crasher:1', { exitOnStart: 3 })
  return { runtime, images: { sleeper: 'sleeper:1', crasher: 'crasher:1', missing: 'missing:1' }, cleanup: async () => {} }
})
