// The raw-API floor for the boot benchmark: the same create + start calls deckhand makes,
// straight to the Engine API, all containers at once, then the same HTTP probe deckhand runs
// from the host (first probe at once after start, then every PROBE_MS until 2xx/3xx).
// It uses deckhand's own transports (dockerode as deckhand loads it, without its BuildKit and
// ssh modules, and deckhand's http probe), bundled like dist/ from bench/raw-kit.ts into the
// file named by RAW_KIT, so the difference it measures is deckhand's own work and libraries,
// not a different client.
// A plain .mjs file so that it starts like deckhand's compiled dist/ (no TypeScript loader).
// Prints {"msg":"start"} once the client is loaded and {"msg":"ready"} when every container
// answers; bench/boot.ts times both lines.
import { pathToFileURL } from 'node:url'

const { LeanDockerode, HostHealthProbe } = await import(pathToFileURL(process.env.RAW_KIT).href)

const plan = JSON.parse(process.argv[2] ?? '{}')
const docker = new LeanDockerode()
const prober = new HostHealthProbe()
const say = (msg, extra = {}) => process.stdout.write(`${JSON.stringify({ msg, time: Date.now(), ...extra })}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const probe = async (url, timeoutMs) => (await prober.probe({ kind: 'http', url }, timeoutMs)).healthy

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
