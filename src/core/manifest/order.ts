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
