import type { Quantity } from './quantities.js'

/**
 * Percent resources are shares of what is left after a system reserve, so one manifest fits
 * every instance type of a group. The reserve keeps the agent, dockerd, sshd and the kernel
 * alive when containers use all they are given:
 *   memory: 10% of the instance, at least 256 MiB and at most 2 GiB;
 *   CPU:    5% of the instance's CPUs, at least 0.1 CPU.
 * Absolute values are taken as written; Docker rejects more CPUs than the host has.
 */
export interface HostCapacity {
  readonly cpus: number
  readonly memoryBytes: number
}

export interface ResolvedResources {
  readonly nanoCpus?: number
  readonly memoryBytes?: number
}

const MiB = 1024 ** 2
const GiB = 1024 ** 3

export function systemReserve(host: HostCapacity): HostCapacity {
  return {
    cpus: Math.max(0.1, host.cpus * 0.05),
    memoryBytes: Math.min(2 * GiB, Math.max(256 * MiB, host.memoryBytes * 0.1)),
  }
}

export function allocatable(host: HostCapacity): HostCapacity {
  const reserve = systemReserve(host)
  return { cpus: Math.max(0, host.cpus - reserve.cpus), memoryBytes: Math.max(0, host.memoryBytes - reserve.memoryBytes) }
}

export function resolveResources(resources: { readonly cpu?: Quantity; readonly memory?: Quantity }, host: HostCapacity): ResolvedResources {
  const usable = allocatable(host)
  const cpus = resources.cpu && (resources.cpu.kind === 'percent' ? (usable.cpus * resources.cpu.value) / 100 : resources.cpu.value)
  const memory = resources.memory && (resources.memory.kind === 'percent' ? (usable.memoryBytes * resources.memory.value) / 100 : resources.memory.value)
  return {
    ...(cpus === undefined ? {} : { nanoCpus: Math.max(10_000_000, Math.round(cpus * 1e9)) }),
    // Docker's floor is 6 MiB; round down to whole pages of 4 KiB.
    ...(memory === undefined ? {} : { memoryBytes: Math.max(6 * MiB, Math.floor(memory / 4096) * 4096) }),
  }
}
