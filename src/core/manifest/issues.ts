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
