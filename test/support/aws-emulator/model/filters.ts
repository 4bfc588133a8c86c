/** An EC2 or Auto Scaling `Filter`: a name and the values any of which may match. */
export interface Filter {
  readonly name: string
  readonly values: readonly string[]
}

/** EC2 filter values may use `*` and `?` wildcards; nothing else is special. */
export function matchesAny(values: readonly string[], actual: string | undefined): boolean {
  if (actual === undefined) return false
  return values.some((pattern) => globToRegExp(pattern).test(actual))
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 's')
}
