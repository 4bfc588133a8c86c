import { formatPath, type ManifestIssue } from './issues.js'

/**
 * Replaces `${version}` in every string of the parsed document. Any other `${...}` is an
 * error rather than left in place: a typo like `${verison}` must not reach a registry.
 */
const VARIABLE = /\$\{([^}]*)\}/g

export function render(document: unknown, version: string | undefined): { value: unknown; issues: ManifestIssue[] } {
  const issues: ManifestIssue[] = []
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(VARIABLE, (whole, name: string) => {
        if (name !== 'version') {
          issues.push({ path: formatPath(path), message: `unknown variable ${whole}; only \${version} is replaced` })
          return whole
        }
        if (version === undefined) {
          issues.push({
            path: formatPath(path),
            message: 'uses ${version} but no version was given; pass --version V, or set /deckhand/<service>/version in SSM',
          })
          return whole
        }
        return version
      })
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]))
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key])]))
    }
    return node
  }
  return { value: walk(document, []), issues }
}
