import type { ContainerConfig } from '../../src/ports/container-runtime.js'

/** A small container for runtime tests: no network, no mounts, json-file logs, 5 s to stop. */
export function testContainerConfig(name: string, image: string, overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name,
    image,
    labels: {},
    env: {},
    network: 'none',
    ports: [],
    binds: [],
    tmpfs: [],
    stopTimeoutMs: 5_000,
    logging: { driver: 'json-file', options: {} },
    privileged: false,
    ...overrides,
  }
}
