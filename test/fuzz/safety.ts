import { canonicalPath, DEFAULT_STATE_DIR, type Manifest } from '../../src/core/manifest/index.js'
import { hostOwningPath } from '../../src/core/manifest/host-paths.js'

/** Node's timers fire at once past this many milliseconds. */
const TIMER_MAX = 2 ** 31 - 1
const MiB = 1024 ** 2
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

/**
 * What an accepted manifest may do, stated independently of the parser's own code paths: every
 * violation found is returned as a sentence, so a property can assert the list is empty.
 */
export function unsafeEffects(manifest: Manifest, stateDir = DEFAULT_STATE_DIR): string[] {
  const found: string[] = []
  const duration = (where: string, ms: number, positive: boolean) => {
    if (!Number.isSafeInteger(ms) || ms < (positive ? 1 : 0) || ms > TIMER_MAX) found.push(`${where} is ${ms} ms`)
  }
  for (const c of manifest.containers) {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(c.name)) found.push(`container name ${JSON.stringify(c.name)}`)
    for (const mount of c.mounts) {
      if (mount.source.kind === 'host') {
        const path = mount.source.path
        if (path !== canonicalPath(path)) found.push(`${c.name} mounts a path that is not canonical: ${path}`)
        if (!c.privileged && hostOwningPath(path, mount.readOnly, stateDir) !== undefined) found.push(`${c.name} mounts ${path} unprivileged`)
      } else if (!Object.hasOwn(manifest.volumes, mount.source.name)) {
        found.push(`${c.name} mounts an undeclared volume ${mount.source.name}`)
      }
      if (UNSAFE.test(mount.target)) found.push(`${c.name} mounts at a target with a control character`)
    }
    if (!c.privileged && (c.pid !== undefined || c.ipc !== undefined)) found.push(`${c.name} shares a host namespace unprivileged`)
    const { memory, cpu } = c.resources
    if (memory?.kind === 'absolute' && !(Number.isSafeInteger(memory.value) && memory.value >= 6 * MiB)) found.push(`${c.name} memory ${memory.value}`)
    if (cpu?.kind === 'absolute' && !(Number.isFinite(cpu.value) && cpu.value >= 0.01)) found.push(`${c.name} cpu ${cpu.value}`)
    for (const q of [memory, cpu]) if (q?.kind === 'percent' && !(q.value > 0 && q.value <= 100)) found.push(`${c.name} share ${q.value}%`)
    if (c.health) {
      duration(`${c.name} health interval`, c.health.intervalMs, true)
      duration(`${c.name} health timeout`, c.health.timeoutMs, true)
      duration(`${c.name} health startPeriod`, c.health.startPeriodMs, false)
      if (!Number.isSafeInteger(c.health.retries) || c.health.retries < 1) found.push(`${c.name} retries ${c.health.retries}`)
    }
    duration(`${c.name} stopTimeout`, c.stopTimeoutMs, false)
    duration(`${c.name} crashLoop window`, c.crashLoop.withinMs, true)
    for (const key of Object.keys(c.env)) if (key === '__proto__') found.push(`${c.name} env has __proto__`)
    if (Object.getPrototypeOf(c.env) !== Object.prototype) found.push(`${c.name} env has a replaced prototype`)
  }
  for (const [name, volume] of Object.entries(manifest.volumes)) {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name)) found.push(`volume name ${JSON.stringify(name)}`)
    if (volume.kind === 'tmpfs' && volume.sizeBytes !== undefined && !(Number.isSafeInteger(volume.sizeBytes) && volume.sizeBytes >= MiB)) found.push(`tmpfs ${name} size ${volume.sizeBytes}`)
  }
  const { rollout } = manifest
  duration('bootDeadline', rollout.bootDeadlineMs, true)
  duration('drainDelay', rollout.drainDelayMs, false)
  duration('warmup', rollout.warmupMs, false)
  const max = rollout.maxUnavailable
  if (typeof max === 'number' ? !(Number.isSafeInteger(max) && max >= 1) : !(max.percent >= 1 && max.percent <= 100)) found.push(`maxUnavailable ${JSON.stringify(max)}`)
  return found
}

/** A message or path that could clear a terminal, forge a line or reorder text. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text)
}
