// The raw-API floor for the boot benchmark: the same create + start calls deckhand makes,
// straight to the Engine API with dockerode, all containers at once, then the same HTTP probe
// deckhand runs from the host (first probe at once after start, then every PROBE_MS until 2xx/3xx).
// A plain .mjs file so that it starts like deckhand's compiled dist/ (no TypeScript loader).
// Prints {"msg":"start"} once dockerode is loaded and {"msg":"ready"} when every container
// answers; bench/boot.ts times both lines.
import Dockerode from 'dockerode'

const plan = JSON.parse(process.argv[2] ?? '{}')
const docker = new Dockerode()
const say = (msg, extra = {}) => process.stdout.write(`${JSON.stringify({ msg, time: Date.now(), ...extra })}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** deckhand's http probe (host-health-probe.ts): GET, redirects not followed, 2xx/3xx healthy. */
async function probe(url, timeoutMs) {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const response = await fetch(url, { method: 'GET', redirect: 'manual', signal: controller.signal })
    await response.body?.cancel().catch(() => undefined)
    return response.status >= 200 && response.status < 400
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

say('start', { containers: plan.containers.length })
await Promise.all(
  plan.containers.map(async ({ name, body, url }) => {
    // As deckhand's docker-runtime.ts: the name in the query, the rest as the body.
    const container = await docker.createContainer({ _query: { name }, _body: body })
    await container.start()
    while (!(await probe(url, 2000))) await sleep(plan.probeMs)
  }),
)
say('ready')
process.exit(0)
