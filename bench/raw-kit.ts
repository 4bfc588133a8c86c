// What bench/raw-boot.mjs borrows from deckhand: its Docker client (dockerode as deckhand loads
// it) and its http probe. bench/run.ts bundles this file the way dist/ is built (RAW_KIT).
export { LeanDockerode } from '../src/adapters/docker/lean-dockerode.js'
export { HostHealthProbe } from '../src/adapters/health-probe/host-health-probe.js'
