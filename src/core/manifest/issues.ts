/** A validation problem at a path in the manifest, e.g. `containers.app.resources.memory`. */
export interface ManifestIssue {
  readonly path: string
  readonly message: string
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? String(segment) : `.${String(segment)}`
  }
  return out === '' ? '(manifest)' : out
}

export function formatIssues(issues: readonly ManifestIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n')
}

/** What a value is, for "expected X, got Y": `the number 30`, `the string "x"`, `a list`. */
export function got(input: unknown): string {
  if (input === undefined) return 'nothing'
  if (input === null) return 'null (an empty value)'
  if (typeof input === 'string') return `the string "${shorten(input)}"`
  if (typeof input === 'number' || typeof input === 'boolean') return `the ${typeof input} ${String(input)}`
  if (Array.isArray(input)) return 'a list'
  if (typeof input === 'object') return 'a mapping'
  return `a ${typeof input}`
}

/** Input quoted in a message: at most 40 characters, so a 60 KB value cannot fill the screen. */
export function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text
}
