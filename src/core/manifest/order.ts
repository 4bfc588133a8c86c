/**
 * Start order from `dependsOn`: Kahn's algorithm, ties broken by name so every agent starts
 * the same set in the same order. Returns the cycle when there is one, for the error message.
 */
export function startOrder(
  dependencies: ReadonlyMap<string, readonly string[]>,
): { order: string[] } | { cycle: string[] } {
  const remaining = new Map([...dependencies].map(([name, deps]) => [name, new Set(deps)]))
  const order: string[] = []
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([name]) => name).sort()
    if (ready.length === 0) return { cycle: findCycle(remaining) }
    for (const name of ready) {
      order.push(name)
      remaining.delete(name)
      for (const deps of remaining.values()) deps.delete(name)
    }
  }
  return { order }
}

function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const start = [...graph.keys()].sort()[0]
  const path: string[] = []
  let node = start
  while (node !== undefined && !path.includes(node)) {
    path.push(node)
    node = [...(graph.get(node) ?? [])].sort()[0]
  }
  return node === undefined ? path : [...path.slice(path.indexOf(node)), node]
}

/** Reverse start order, for drain. */
export function stopOrder<T extends { readonly name: string }>(inStartOrder: readonly T[]): T[] {
  return [...inStartOrder].reverse()
}

/**
 * Containers in stop order, grouped by dependency level: every container of a group may stop at
 * the same time, and a group starts stopping only once every group before it has stopped. A
 * container stops before anything it depends on.
 */
export function stopLevels<T extends { readonly name: string; readonly dependsOn: readonly string[] }>(containers: readonly T[]): T[][] {
  const level = new Map<string, number>()
  const byName = new Map(containers.map((c) => [c.name, c]))
  const depth = (name: string, seen: ReadonlySet<string>): number => {
    const known = level.get(name)
    if (known !== undefined) return known
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d) && !seen.has(d))
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth(d, new Set([...seen, name]))))
    level.set(name, value)
    return value
  }
  for (const c of containers) depth(c.name, new Set())
  const deepest = Math.max(-1, ...level.values())
  const levels: T[][] = []
  for (let l = deepest; l >= 0; l--) levels.push(containers.filter((c) => level.get(c.name) === l))
  return levels
}
