import { describe, expect, it } from 'vitest'
import { checkDrift } from '../../../src/core/agent/drift.js'
import { fitDrainDelay, stopBudgetMs } from '../../../src/core/agent/drain.js'
import { stopLevels } from '../../../src/core/manifest/index.js'

const rollout = { maxUnavailable: 1, bootDeadlineMs: 600_000, drainDelayMs: 0, warmupMs: 0 }
const booted = { revision: 'r1', imageId: 'ami-1', rollout }

describe('checkDrift', () => {
  it('stays when revision, template and image are current', () => {
    expect(checkDrift(booted, { wanted: { revision: 'r1', rollout }, launch: { desiredCapacity: 3, imageId: 'ami-1' } }).kind).toBe('stay')
  })

  it('is out of date by revision, template and image, naming each', () => {
    const verdict = checkDrift(booted, {
      wanted: { revision: 'r2', rollout },
      launch: { desiredCapacity: 3, imageId: 'ami-2', launchTemplate: { id: 'lt', version: '3' } },
      launchedFrom: { id: 'lt', version: '2' },
    })
    expect(verdict).toMatchObject({ kind: 'out-of-date', desiredRevision: 'r2', drift: ['revision', 'launch-template', 'image'] })
  })

  it('never rolls to an unrollable config, but still rolls a new AMI at the revision it runs', () => {
    expect(checkDrift(booted, { wanted: { unrollable: 'bad manifest' }, launch: { desiredCapacity: 3, imageId: 'ami-1' } })).toMatchObject({ kind: 'stay', reason: 'bad manifest' })
    expect(checkDrift(booted, { wanted: { unrollable: 'bad manifest' }, launch: { desiredCapacity: 3, imageId: 'ami-2' } })).toMatchObject({ kind: 'out-of-date', desiredRevision: 'r1', drift: ['image'] })
  })

  it('takes the rollout section as it is now', () => {
    const now = { ...rollout, maxUnavailable: 5 }
    expect(checkDrift(booted, { wanted: { revision: 'r1', rollout: now }, launch: { desiredCapacity: 3 } }).rollout).toBe(now)
  })
})

describe('drain timing', () => {
  const c = (name: string, dependsOn: string[], stopTimeoutMs = 10_000) => ({ name, dependsOn, stopTimeoutMs })

  it('stops dependents first, one dependency level at a time', () => {
    const levels = stopLevels([c('db', []), c('cache', []), c('app', ['db', 'cache']), c('proxy', ['app']), c('worker', ['db'])])
    expect(levels.map((l) => l.map((x) => x.name))).toEqual([['proxy'], ['app', 'worker'], ['db', 'cache']])
    expect(stopBudgetMs({ containers: [c('db', [], 30_000), c('app', ['db'], 5_000), c('worker', ['db'], 20_000)] as never })).toBe(50_000)
  })

  it('cuts drainDelay to what a spot notice leaves after the stops and a margin', () => {
    expect(fitDrainDelay(60_000, 30_000, 0, undefined)).toEqual({ delayMs: 60_000 })
    expect(fitDrainDelay(30_000, 30_000, 0, 120_000)).toEqual({ delayMs: 30_000 })
    const cut = fitDrainDelay(300_000, 30_000, 0, 120_000)
    expect(cut.delayMs).toBe(75_000)
    expect(cut.cut).toMatch(/^drainDelay cut from 5m to 75s: the spot notice leaves 2m/)
    expect(fitDrainDelay(300_000, 200_000, 0, 120_000).delayMs).toBe(0)
  })
})
