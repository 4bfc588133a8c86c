/**
 * How long an agent waits between drift checks, so that a whole fleet stays inside the API
 * buckets it shares with everything else in the account.
 *
 * A drift check is one SSM GetParameters call (up to 10 names, each answer carrying its Version),
 * and GetParameter, GetParameters and GetParametersByPath share 40 TPS per account and Region by
 * default. Drift checks may use half of that, so the fleet's boot-time reads, `deckhand release`
 * and whatever else the account runs keep the other half:
 *
 *   interval >= fleetSize x callsPerCheck / 20 s, and never under 60 s.
 *
 *   fleet       bound     draws (random 0 .. 1)
 *   1           60 s      60 s .. 73 s
 *   1,000       60 s      60 s .. 73 s    (1000 / 20 = 50 s, under the floor)
 *   1,200       60 s      60 s .. 73 s    (where the quota bound reaches the floor)
 *   10,000      500 s     500 s .. 611 s
 *
 * Jitter is +-10% around a nominal interval of bound / 0.9, so that even the shortest draw honours
 * the bound (a floor applied after jitter would pile half the fleet onto exactly 60 s). On
 * average the fleet then makes 18 calls a second, at most 20 in any stretch where every agent drew
 * the shortest interval. Each throttled call in a row doubles the nominal interval, up to the
 * point where the longest draw reaches 15 minutes; a fleet whose bound alone is longer keeps its
 * bound. A success resets `throttledCount` to 0; a throttle of any of the three APIs counts.
 *
 * The same reasoning holds for the other two APIs a check reads, with their own budgets:
 *
 *   Auto Scaling  one DescribeAutoScalingGroups per check (two, plus the view, while out of
 *                 date). AWS publishes no bucket size for the Auto Scaling API; deckhand assumes
 *                 a refill like EC2's Describe bucket (20/s) and spends at most half of it.
 *   EC2           DescribeInstances (filtered: 100 burst, 20/s refill), one per 200 instances of
 *                 the view while out of date, one more when IMDS does not serve instance tags;
 *                 DescribeLaunchTemplateVersions for a group that names $Latest or $Default.
 *                 Half of the refill, 10/s.
 *
 *   interval >= fleetSize x max(ssm / 20, autoScaling / 10, ec2 / 10) s, and never under 60 s.
 *
 * So the Auto Scaling call, not SSM, sets the pace past 600 instances: 1,000 instances check
 * every 100-122 s and 10,000 every 1000-1222 s. docs/api-budget.md lists the worst cases.
 */

/** GetParameter* transactions per second, per account and Region, by default. */
export const SSM_GET_TPS = 40
/** The share of it drift checks may use. */
export const DRIFT_TPS_BUDGET = SSM_GET_TPS / 2
export const MIN_DRIFT_INTERVAL_MS = 60_000
export const MAX_DRIFT_INTERVAL_MS = 15 * 60_000
export const DRIFT_JITTER = 0.1
export const THROTTLE_BACKOFF = 2
/** Auto Scaling API calls per second the fleet's checks may spend (an assumption: AWS publishes none). */
export const AUTO_SCALING_TPS_BUDGET = 10
/** EC2 Describe calls per second the fleet's checks may spend: half of the filtered DescribeInstances refill of 20/s. */
export const EC2_DESCRIBE_TPS_BUDGET = 10
/** GetParameters takes at most this many names per call. */
export const GET_PARAMETERS_MAX_NAMES = 10

export interface DriftIntervalInput {
  /** Instances in the group (desired capacity, or the view's instance count if larger). */
  readonly fleetSize: number
  /** A number in [0, 1), injected so tests pick the draw. */
  readonly random: number
  /** Throttled drift checks in a row, since the last success. Default 0. */
  readonly throttledCount?: number
  /** GetParameters calls per check: ceil(parameters / 10). Default 1. */
  readonly callsPerCheck?: number
  /** Auto Scaling calls per check. Default 0. */
  readonly autoScalingCalls?: number
  /** EC2 Describe calls per check. Default 0. */
  readonly ec2Calls?: number
  /** Calls per second the fleet may spend; raise it with SSM's higher throughput. Default 20. */
  readonly tpsBudget?: number
  readonly minIntervalMs?: number
  readonly maxIntervalMs?: number
}

/** Instance ids per DescribeInstances `instance-id` filter (well under EC2's limits). */
export const IDS_PER_FILTER = 200
/** DescribeInstances page size. */
export const INSTANCES_PER_PAGE = 1000

/**
 * DescribeInstances calls one view of a group of this many instances makes: one call filtered by
 * their ids up to IDS_PER_FILTER, else pages of INSTANCES_PER_PAGE filtered by the group's tag.
 */
export function viewDescribeCalls(instances: number): number {
  const n = Math.max(0, Math.ceil(instances))
  if (n === 0) return 0
  return n <= IDS_PER_FILTER ? 1 : Math.ceil(n / INSTANCES_PER_PAGE)
}

/** GetParameters calls a check needs to read the versions of this many parameters. */
export function callsPerCheck(parameterCount: number): number {
  return Math.max(1, Math.ceil(Math.max(0, parameterCount) / GET_PARAMETERS_MAX_NAMES))
}

/** The shortest interval the fleet may use: its share of the quota, and the floor. */
export function driftIntervalBoundMs(input: Omit<DriftIntervalInput, 'random' | 'throttledCount'>): number {
  const fleet = finiteAtLeast(input.fleetSize, 0)
  const calls = finiteAtLeast(input.callsPerCheck ?? 1, 1)
  const tps = finiteAtLeast(input.tpsBudget ?? DRIFT_TPS_BUDGET, Number.MIN_VALUE)
  const quotaMs = ((fleet * calls) / tps) * 1000
  const autoScalingMs = ((fleet * finiteAtLeast(input.autoScalingCalls ?? 0, 0)) / AUTO_SCALING_TPS_BUDGET) * 1000
  const ec2Ms = ((fleet * finiteAtLeast(input.ec2Calls ?? 0, 0)) / EC2_DESCRIBE_TPS_BUDGET) * 1000
  return Math.max(finiteAtLeast(input.minIntervalMs ?? MIN_DRIFT_INTERVAL_MS, 0), quotaMs, autoScalingMs, ec2Ms)
}

/** The interval before the next drift check, in ms. */
export function driftIntervalMs(input: DriftIntervalInput): number {
  const bound = driftIntervalBoundMs(input)
  const throttled = Math.min(64, Math.floor(finiteAtLeast(input.throttledCount ?? 0, 0)))
  const nominalFloor = bound / (1 - DRIFT_JITTER)
  const nominalCap = Math.max(nominalFloor, finiteAtLeast(input.maxIntervalMs ?? MAX_DRIFT_INTERVAL_MS, 0) / (1 + DRIFT_JITTER))
  const nominal = Math.min(nominalFloor * THROTTLE_BACKOFF ** throttled, nominalCap)
  const random = Number.isFinite(input.random) ? Math.min(Math.max(input.random, 0), 1) : 0.5
  return Math.max(Math.ceil(bound), Math.round(nominal * (1 + DRIFT_JITTER * (2 * random - 1))))
}

function finiteAtLeast(value: number, min: number): number {
  return Number.isFinite(value) ? Math.max(min, value) : min
}
