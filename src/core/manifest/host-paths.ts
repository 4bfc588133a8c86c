/**
 * Host paths a container may bind-mount without `privileged: true`. A mount is refused when its
 * canonical path is one of the host-owning paths below, lies beneath one, or holds one (`/var`
 * holds the Docker socket). The path is made canonical as text (`.`, `..` and repeated slashes
 * resolved), never by asking the host: the parser is pure and runs on a laptop, so a symlink on
 * the instance that points into one of these paths is not seen here.
 */

/** Each of these hands a container the host, or deckhand's own state. */
export const HOST_OWNING_PATHS: readonly string[] = [
  '/var/run/docker.sock', '/run/docker.sock',
  '/var/run/containerd', '/run/containerd',
  '/proc', '/sys', '/dev', '/etc', '/root', '/boot',
  '/var/lib/docker', '/var/lib/containerd',
]

/**
 * Read-only mounts of these are common and hand over nothing secret (CA certificates, the time
 * zone), so they are allowed beneath /etc.
 */
export const READ_ONLY_EXCEPTIONS: readonly string[] = ['/etc/ssl', '/etc/pki', '/etc/ca-certificates', '/etc/localtime', '/etc/timezone']

/** Writable, these let a container replace what root runs on the host; read-only they are fine. */
export const SYSTEM_DIRECTORIES: readonly string[] = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

export const DEFAULT_STATE_DIR = '/var/lib/deckhand'

/** `/var/run/../run//docker.sock/.` → `/run/docker.sock`; `..` above `/` stays at `/`. */
export function canonicalPath(path: string): string {
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  return `/${segments.join('/')}`
}

function within(path: string, root: string): boolean {
  return path === root || root === '/' || path.startsWith(`${root}/`)
}

/**
 * The host-owning path that `path` (canonical) is, lies beneath or holds, or undefined when
 * an unprivileged container may mount it with this mode.
 */
export function hostOwningPath(path: string, readOnly: boolean, stateDir: string): string | undefined {
  const owning = [...HOST_OWNING_PATHS, canonicalPath(stateDir)]
  const held = owning.find((root) => within(path, root) || within(root, path))
  if (held !== undefined && !(readOnly && READ_ONLY_EXCEPTIONS.some((allowed) => within(path, allowed)))) return held
  if (!readOnly) return SYSTEM_DIRECTORIES.find((root) => within(path, root) || within(root, path))
  return undefined
}
