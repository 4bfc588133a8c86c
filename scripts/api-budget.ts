/**
 * docs/api-budget.md's table, from the code's own constants: what a fleet's drift checks cost
 * each API, worst case (every agent on its shortest draw) and on average. `npx tsx
 * scripts/api-budget.ts` prints it; test/docs/api-budget.test.ts keeps the doc equal to it.
 */
import {
  AUTO_SCALING_TPS_BUDGET,
  DRIFT_JITTER,
  DRIFT_TPS_BUDGET,
  EC2_DESCRIBE_TPS_BUDGET,
  driftIntervalBoundMs,
  viewDescribeCalls,
} from '../src/core/rollout/drift-interval.js'
import { TERMINATION_FALLBACK_TPS } from '../src/core/agent/termination-watch.js'

interface Scenario {
  readonly name: string
  readonly calls: (n: number) => { ssm: number; autoScaling: number; ec2: number }
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'up to date, tags from IMDS', calls: () => ({ ssm: 1, autoScaling: 1, ec2: 0 }) },
  { name: 'up to date, IMDS tags off', calls: () => ({ ssm: 1, autoScaling: 1, ec2: 1 }) },
  { name: 'all out of date (a rollout)', calls: (n) => ({ ssm: 1, autoScaling: 2, ec2: viewDescribeCalls(n) }) },
]

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const seconds = (ms: number) => `${fmt(ms / 1000)} s`

export function budgetTable(sizes: readonly number[] = [1_000, 10_000]): string {
  const lines = [
    '| instances | checks | calls per check (SSM / Auto Scaling / EC2) | interval drawn in | SSM calls/s, worst (mean) | Auto Scaling calls/s, worst (mean) | EC2 calls/s, worst (mean) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const n of sizes) {
    for (const scenario of SCENARIOS) {
      const calls = scenario.calls(n)
      const bound = driftIntervalBoundMs({ fleetSize: n, callsPerCheck: calls.ssm, autoScalingCalls: calls.autoScaling, ec2Calls: calls.ec2 })
      const nominal = bound / (1 - DRIFT_JITTER)
      const longest = nominal * (1 + DRIFT_JITTER)
      const rate = (perCheck: number) => `${fmt((n * perCheck) / (bound / 1000))} (${fmt((n * perCheck) / (nominal / 1000))})`
      lines.push(
        `| ${n.toLocaleString('en-US')} | ${scenario.name} | ${calls.ssm} / ${calls.autoScaling} / ${calls.ec2} | ${seconds(bound)} - ${seconds(longest)} | ${rate(calls.ssm)} | ${rate(calls.autoScaling)} | ${rate(calls.ec2)} |`,
      )
    }
  }
  lines.push('')
  lines.push(
    `Budgets: SSM ${DRIFT_TPS_BUDGET}/s (half of 40), Auto Scaling ${AUTO_SCALING_TPS_BUDGET}/s (assumed: AWS publishes no size), EC2 Describe ${EC2_DESCRIBE_TPS_BUDGET}/s (half of the filtered DescribeInstances refill). The termination watch's Auto Scaling fallback adds at most ${TERMINATION_FALLBACK_TPS}/s for the whole group.`,
  )
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(budgetTable())
