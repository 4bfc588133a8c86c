import { describe, expect, it } from 'vitest'
import { toCreateOptions } from '../../../src/adapters/docker/create-options.js'
import type { ContainerConfig } from '../../../src/ports/container-runtime.js'

const base: ContainerConfig = {
  name: 'app',
  image: 'registry.example/app:1.2.3',
  labels: { 'deckhand.instance': 'i-123', 'deckhand.container': 'app' },
  env: { PORT: '3000', GREETING: 'a=b c' },
  network: 'host',
  ports: [],
  binds: [],
  tmpfs: [],
  stopTimeoutMs: 30_000,
  logging: { driver: 'local', options: { 'max-size': '20m', 'max-file': '5' } },
  privileged: false,
}

describe('toCreateOptions', () => {
  it('translates a minimal host-network container', () => {
    expect(toCreateOptions(base)).toEqual({
      name: 'app',
      Image: 'registry.example/app:1.2.3',
      Labels: { 'deckhand.instance': 'i-123', 'deckhand.container': 'app' },
      Env: ['PORT=3000', 'GREETING=a=b c'],
      StopTimeout: 30,
      HostConfig: {
        NetworkMode: 'host',
        Binds: [],
        Tmpfs: {},
        LogConfig: { Type: 'local', Config: { 'max-size': '20m', 'max-file': '5' } },
        Privileged: false,
        SecurityOpt: ['no-new-privileges:true'],
        RestartPolicy: { Name: 'no' },
      },
    })
  })

  it('passes command, entrypoint, user and working directory through', () => {
    const options = toCreateOptions({ ...base, command: ['node', 'server.js'], entrypoint: ['/init'], user: '1000:1000', workingDir: '/srv' })
    expect(options).toMatchObject({ Cmd: ['node', 'server.js'], Entrypoint: ['/init'], User: '1000:1000', WorkingDir: '/srv' })
  })

  it('publishes ports on a bridge network, several host ports per container port', () => {
    const options = toCreateOptions({
      ...base,
      network: 'bridge',
      ports: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: 8081, containerPort: 80, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp' },
      ],
    })
    expect(options.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} })
    expect(options.HostConfig.NetworkMode).toBe('bridge')
    expect(options.HostConfig.PortBindings).toEqual({
      '80/tcp': [
        { HostIp: '', HostPort: '8080' },
        { HostIp: '127.0.0.1', HostPort: '8081' },
      ],
      '53/udp': [{ HostIp: '', HostPort: '5353' }],
    })
  })

  it('publishes nothing with host or no networking', () => {
    const ports = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }]
    for (const network of ['host', 'none'] as const) {
      const options = toCreateOptions({ ...base, network, ports })
      expect(options.ExposedPorts).toBeUndefined()
      expect(options.HostConfig.PortBindings).toBeUndefined()
    }
  })

  it('mounts binds read-only or read-write, and tmpfs with and without a size', () => {
    const options = toCreateOptions({
      ...base,
      binds: [
        { source: '/var/lib/deckhand/volumes/data', target: '/var/lib/app', readOnly: false },
        { source: '/etc/ssl/certs', target: '/etc/ssl/certs', readOnly: true },
      ],
      tmpfs: [{ target: '/cache', sizeBytes: 64 * 1024 * 1024 }, { target: '/scratch' }],
    })
    expect(options.HostConfig.Binds).toEqual(['/var/lib/deckhand/volumes/data:/var/lib/app:rw', '/etc/ssl/certs:/etc/ssl/certs:ro'])
    expect(options.HostConfig.Tmpfs).toEqual({ '/cache': 'size=67108864', '/scratch': '' })
  })

  it('limits CPU and memory, with no swap on top of the memory limit', () => {
    const options = toCreateOptions({ ...base, nanoCpus: 1_500_000_000, memoryBytes: 512 * 1024 * 1024 })
    expect(options.HostConfig).toMatchObject({ NanoCpus: 1_500_000_000, Memory: 536_870_912, MemorySwap: 536_870_912 })
  })

  it('sets no limits it was not given', () => {
    const host = toCreateOptions(base).HostConfig
    expect(host.NanoCpus).toBeUndefined()
    expect(host.Memory).toBeUndefined()
    expect(host.MemorySwap).toBeUndefined()
  })

  it('gives the health check in nanoseconds, its test as given', () => {
    const options = toCreateOptions({
      ...base,
      healthcheck: { test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1:3000/healthz'], intervalMs: 5_000, timeoutMs: 2_000, retries: 3, startPeriodMs: 30_000 },
    })
    expect(options.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1:3000/healthz'],
      Interval: 5_000_000_000,
      Timeout: 2_000_000_000,
      Retries: 3,
      StartPeriod: 30_000_000_000,
    })
  })

  it('leaves the image its own HEALTHCHECK when none is given', () => {
    expect(toCreateOptions(base).Healthcheck).toBeUndefined()
  })

  it('rounds the stop timeout up to whole seconds', () => {
    expect(toCreateOptions({ ...base, stopTimeoutMs: 1_500 }).StopTimeout).toBe(2)
    expect(toCreateOptions({ ...base, stopTimeoutMs: 1 }).StopTimeout).toBe(1)
    expect(toCreateOptions({ ...base, stopTimeoutMs: 0 }).StopTimeout).toBe(0)
  })

  it('hands over the host only to a privileged container, without no-new-privileges', () => {
    const options = toCreateOptions({ ...base, privileged: true, pid: 'host', ipc: 'host' })
    expect(options.HostConfig).toMatchObject({ Privileged: true, PidMode: 'host', IpcMode: 'host', SecurityOpt: [] })
    const plain = toCreateOptions(base).HostConfig
    expect(plain.PidMode).toBeUndefined()
    expect(plain.IpcMode).toBeUndefined()
  })

  it('never lets Docker restart a container, and leaves Init to the daemon', () => {
    const options = toCreateOptions(base)
    expect(options.HostConfig.RestartPolicy).toEqual({ Name: 'no' })
    expect('Init' in options.HostConfig).toBe(false)
  })

  it('copies rather than shares the frozen input', () => {
    const frozen = Object.freeze({ ...base, command: Object.freeze(['a']) })
    const options = toCreateOptions(frozen)
    options.Cmd?.push('b')
    expect(frozen.command).toEqual(['a'])
  })
})
