import { describe, expect, it } from 'vitest'
import { engineTime, toContainerState, toRuntimeEvent, type EngineContainer } from '../../../src/adapters/docker/container-state.js'

const ZERO = '0001-01-01T00:00:00Z'

function inspected(state: Partial<EngineContainer['State']>, rest: Partial<EngineContainer> = {}): EngineContainer {
  return {
    Id: 'abc123',
    Name: '/app',
    Config: { Image: 'registry.example/app:1', Labels: { 'deckhand.container': 'app' } },
    State: { Status: 'created', Pid: 0, ExitCode: 0, OOMKilled: false, StartedAt: ZERO, FinishedAt: ZERO, ...state },
    NetworkSettings: { IPAddress: '', Networks: { host: { IPAddress: '' } } },
    ...rest,
  }
}

describe('toContainerState', () => {
  it('reads a created container: no times, no exit code, no pid', () => {
    expect(toContainerState(inspected({}))).toEqual({
      id: 'abc123',
      name: 'app',
      image: 'registry.example/app:1',
      labels: { 'deckhand.container': 'app' },
      status: 'created',
      engineHealth: 'none',
      failingStreak: 0,
      oomKilled: false,
    })
  })

  it('reads a running container with its health, pid and bridge address', () => {
    const state = toContainerState(
      inspected(
        { Status: 'running', Pid: 4242, StartedAt: '2026-01-02T03:04:05.123456789Z', Health: { Status: 'unhealthy', FailingStreak: 4 } },
        { NetworkSettings: { IPAddress: '172.17.0.5', Networks: { bridge: { IPAddress: '172.17.0.5' } } } },
      ),
    )
    expect(state).toMatchObject({ status: 'running', pid: 4242, engineHealth: 'unhealthy', failingStreak: 4, ipAddress: '172.17.0.5' })
    expect(state.startedAt).toBe(Date.parse('2026-01-02T03:04:05.123Z'))
    expect(state.finishedAt).toBeUndefined()
    expect(state.exitCode).toBeUndefined()
  })

  it('reads an exited container: exit code, OOM, finish time', () => {
    const state = toContainerState(
      inspected({ Status: 'exited', ExitCode: 137, OOMKilled: true, StartedAt: '2026-01-02T03:04:05Z', FinishedAt: '2026-01-02T03:05:00Z' }),
    )
    expect(state).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: true, finishedAt: Date.parse('2026-01-02T03:05:00Z') })
    expect(state.pid).toBeUndefined()
  })

  it("drops a previous run's finish time once the container runs again", () => {
    const state = toContainerState(inspected({ Status: 'running', Pid: 7, StartedAt: '2026-01-02T04:00:00Z', FinishedAt: '2026-01-02T03:05:00Z' }))
    expect(state.finishedAt).toBeUndefined()
  })

  it('takes the address of a user-defined network when there is no default bridge', () => {
    const state = toContainerState(inspected({ Status: 'running', Pid: 1 }, { NetworkSettings: { IPAddress: '', Networks: { mine: { IPAddress: '10.0.0.9' } } } }))
    expect(state.ipAddress).toBe('10.0.0.9')
  })

  it('copes with missing labels and health', () => {
    const state = toContainerState(inspected({ Health: null }, { Config: { Image: 'x', Labels: null }, NetworkSettings: null }))
    expect(state.labels).toEqual({})
    expect(state.engineHealth).toBe('none')
    expect(state.ipAddress).toBeUndefined()
  })
})

describe('engineTime', () => {
  it("maps Docker's zero time and empty strings to undefined", () => {
    expect(engineTime(ZERO)).toBeUndefined()
    expect(engineTime('')).toBeUndefined()
    expect(engineTime(undefined)).toBeUndefined()
    expect(engineTime('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5))
  })
})

describe('toRuntimeEvent', () => {
  it('reads a container event, with its time to the millisecond and the exit code of a die', () => {
    const line = {
      status: 'die',
      id: 'abc',
      from: 'img',
      Type: 'container',
      Action: 'die',
      Actor: { ID: 'abc', Attributes: { exitCode: '3', name: 'app', image: 'img' } },
      time: 1_765_000_000,
      timeNano: 1_765_000_000_123_456_789,
    }
    expect(toRuntimeEvent(line)).toEqual({ containerId: 'abc', action: 'die', name: 'app', at: 1_765_000_000_123, exitCode: 3 })
  })

  it('takes the time in seconds when the engine gives no nanoseconds, and an exit code only with die', () => {
    const line = { Type: 'container', Action: 'kill', Actor: { ID: 'abc', Attributes: { signal: '9', exitCode: '0' } }, time: 1_765_000_000 }
    expect(toRuntimeEvent(line)).toEqual({ containerId: 'abc', action: 'kill', at: 1_765_000_000_000 })
  })

  it('keeps health status actions whole', () => {
    expect(toRuntimeEvent({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'abc', Attributes: {} } })).toEqual({
      containerId: 'abc',
      action: 'health_status: healthy',
    })
  })

  it('ignores events of other types and shapes it does not know', () => {
    expect(toRuntimeEvent({ Type: 'network', Action: 'connect', Actor: { ID: 'n1' } })).toBeUndefined()
    expect(toRuntimeEvent({ Type: 'container' })).toBeUndefined()
    expect(toRuntimeEvent('die')).toBeUndefined()
    expect(toRuntimeEvent(null)).toBeUndefined()
  })
})
