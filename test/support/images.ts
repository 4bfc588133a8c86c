// The test images that scripts/provision-test-env.sh builds and pushes to the local registry
// (contexts under test/support/images/). Each long-running one exits 0 promptly on SIGTERM.
import { connect } from 'node:net'

export const registry = '127.0.0.1:5000'
export const dockerSocketPath = '/var/run/docker.sock'

const repository = `${registry}/deckhand-test`

export const images = {
  /** busybox only; `docker import`ed, the FROM of the others. */
  base: `${repository}/base:1`,
  /** httpd on $PORT (default 8080): /healthz is "ok", / is "v1". */
  web: `${repository}/web:1`,
  /** web with / serving "v2", for version bumps. */
  webV2: `${repository}/web:2`,
  /**
   * Sleeps forever. $START_LOG gets "$NAME started" on start; on SIGTERM $STOP_LOG gets
   * "$NAME stopped <seconds from /proc/uptime>", then it sleeps $STOP_DELAY (default 0), exits 0.
   */
  sleeper: `${repository}/sleeper:1`,
  /** Exits 3 after $CRASH_AFTER seconds (default 0.2); $START_LOG as sleeper. */
  crasher: `${repository}/crasher:1`,
  /** TCP echo server on $PORT (default 9000), one connection after another. */
  tcp: `${repository}/tcp:1`,
  /**
   * Image HEALTHCHECK (interval 1s, timeout 1s, retries 2) on /tmp/healthy, created after
   * $HEALTHY_AFTER seconds (default 1) and removed $UNHEALTHY_AFTER seconds later if set.
   */
  imageHealth: `${repository}/imagehealth:1`,
  /** web, but its port opens only after $DELAY seconds (default 2); / is "slow". */
  slow: `${repository}/slow:1`,
} as const

export type TestImage = keyof typeof images

const timeoutMs = 2_000

/** Throws one sentence saying what is missing when Docker, the registry or an image is not there. */
export async function assertTestEnvironment(): Promise<void> {
  const problem = (await dockerProblem()) ?? (await registryProblem())
  if (problem !== undefined) {
    throw new Error(`Run scripts/provision-test-env.sh first: ${problem}.`)
  }
}

function dockerProblem(): Promise<string | undefined> {
  return new Promise((resolve) => {
    let reply = ''
    const socket = connect(dockerSocketPath)
    const done = (problem: string | undefined): void => {
      socket.destroy()
      resolve(problem)
    }
    socket.setTimeout(timeoutMs, () => done(`Docker did not answer on ${dockerSocketPath}`))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done(`Docker is not reachable on ${dockerSocketPath} (${error.code ?? error.message})`),
    )
    socket.on('connect', () => socket.end('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'))
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1')
    })
    socket.on('end', () =>
      done(/^HTTP\/1\.[01] 200 /.test(reply) ? undefined : `Docker's /_ping on ${dockerSocketPath} failed`),
    )
  })
}

async function registryProblem(): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(timeoutMs) })
    if (!response.ok) {
      return `the registry on ${registry} answered ${response.status}`
    }
  } catch {
    return `no registry answers on http://${registry}/v2/`
  }
  const missing = await Promise.all(
    Object.values(images).map(async (ref) => ((await imagePushed(ref)) ? undefined : ref)),
  )
  const absent = missing.filter((ref) => ref !== undefined)
  return absent.length === 0 ? undefined : `the registry lacks ${absent.join(', ')}`
}

async function imagePushed(ref: string): Promise<boolean> {
  const [name, tag] = ref.slice(registry.length + 1).split(':')
  try {
    const response = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      signal: AbortSignal.timeout(timeoutMs),
    })
    return response.ok
  } catch {
    return false
  }
}
