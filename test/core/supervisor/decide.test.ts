import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/core/supervisor/decide.js'
import type { ContainerState } from '../../../src/ports/container-runtime.js'

const state = (status: ContainerState['status']): ContainerState => ({
  id: 'abc123',
  name: 'web-app-i-test',
  image: 'app:1',
  labels: {},
  status,
  engineHealth: 'none',
  failingStreak: 0,
  oomKilled: false,
})

describe('decide', () => {
  it('starts an exited container again', () => {
    expect(decide({ observed: state('exited'), health: 'unknown', unhealthyDependencies: [], notBefore: undefined, now: 0 })).toEqual({ kind: 'start', id: 'abc123' })
  })

  it('recreates a dead container, which Docker refuses to start, after its backoff and dependencies', () => {
    const dead = state('dead')
    expect(decide({ observed: dead, health: 'unknown', unhealthyDependencies: [], notBefore: undefined, now: 0 })).toEqual({ kind: 'recreate', id: 'abc123' })
    expect(decide({ observed: dead, health: 'unknown', unhealthyDependencies: [], notBefore: 100, now: 0 })).toEqual({ kind: 'wait-backoff', until: 100 })
    expect(decide({ observed: dead, health: 'unknown', unhealthyDependencies: ['db'], notBefore: undefined, now: 0 })).toEqual({ kind: 'wait-dependencies', on: ['db'] })
  })
})
