import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostHealthProbe } from '../../../src/adapters/health-probe/host-health-probe.js'

const probe = new HostHealthProbe()

/** A port that was just free: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('HostHealthProbe over http', () => {
  let server: HttpServer
  let base: string
  const hanging = new Set<() => void>()

  beforeAll(async () => {
    server = createHttpServer((request, response) => {
      switch (request.url) {
        case '/healthz':
          return void response.end('ok')
        case '/created':
          response.writeHead(204)
          return void response.end()
        case '/moved':
          response.writeHead(302, { location: '/nowhere-that-answers' })
          return void response.end()
        case '/sick':
          response.writeHead(503)
          return void response.end('not yet')
        case '/slow-body':
          // The status comes at once; the body never ends until the test is over.
          response.writeHead(200)
          response.write('part')
          hanging.add(() => response.end())
          return
        case '/hangup':
          return void request.socket.destroy()
        case '/hang':
          // Answers only when the test is over.
          hanging.add(() => response.end())
          return
        default:
          response.writeHead(404)
          response.end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    for (const release of hanging) release()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('is healthy on 2xx and on 3xx, without following the redirect', async () => {
    expect(await probe.probe({ kind: 'http', url: `${base}/healthz` }, 2_000)).toEqual({ healthy: true })
    expect(await probe.probe({ kind: 'http', url: `${base}/created` }, 2_000)).toEqual({ healthy: true })
    expect(await probe.probe({ kind: 'http', url: `${base}/moved` }, 2_000)).toEqual({ healthy: true })
  })

  it('is unhealthy on any other status, naming it', async () => {
    expect(await probe.probe({ kind: 'http', url: `${base}/sick` }, 2_000)).toEqual({ healthy: false, detail: 'HTTP 503' })
    expect(await probe.probe({ kind: 'http', url: `${base}/missing` }, 2_000)).toEqual({ healthy: false, detail: 'HTTP 404' })
  })

  it('is healthy on the status alone, without waiting for the body, and a body cut short is no error', async () => {
    const errors: unknown[] = []
    const onError = (error: unknown): void => void errors.push(error)
    process.on('uncaughtException', onError)
    try {
      expect(await probe.probe({ kind: 'http', url: `${base}/slow-body` }, 2_000)).toEqual({ healthy: true })
      // A round trip on the same server after the first probe destroyed its request.
      expect(await probe.probe({ kind: 'http', url: `${base}/healthz` }, 2_000)).toEqual({ healthy: true })
    } finally {
      process.off('uncaughtException', onError)
    }
    expect(errors).toEqual([])
  })

  it('reports a server that hangs up without answering', async () => {
    expect(await probe.probe({ kind: 'http', url: `${base}/hangup` }, 2_000)).toEqual({ healthy: false, detail: 'connection reset' })
  })

  it('times out on a server that does not answer', async () => {
    expect(await probe.probe({ kind: 'http', url: `${base}/hang` }, 200)).toEqual({ healthy: false, detail: 'timed out after 200ms' })
  })

  it('reports a refused connection', async () => {
    const port = await closedPort()
    expect(await probe.probe({ kind: 'http', url: `http://127.0.0.1:${port}/healthz` }, 2_000)).toEqual({ healthy: false, detail: 'connection refused' })
  })

  it("throws the caller's reason when the caller aborts", async () => {
    const controller = new AbortController()
    const reason = new Error('draining')
    const pending = probe.probe({ kind: 'http', url: `${base}/hang` }, 5_000, controller.signal)
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
  })
})

describe('HostHealthProbe over tcp', () => {
  let server: TcpServer
  let port: number
  const sockets = new Set<Socket>()

  beforeAll(async () => {
    server = createTcpServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('is healthy once the connection is accepted, and closes it', async () => {
    const closed = new Promise<void>((resolve) => server.once('connection', (socket: Socket) => socket.once('close', () => resolve())))
    expect(await probe.probe({ kind: 'tcp', host: '127.0.0.1', port }, 2_000)).toEqual({ healthy: true })
    await closed
  })

  it('reports a refused connection', async () => {
    expect(await probe.probe({ kind: 'tcp', host: '127.0.0.1', port: await closedPort() }, 2_000)).toEqual({ healthy: false, detail: 'connection refused' })
  })

  it("throws the caller's reason when the caller aborts, and at once if it already has", async () => {
    const reason = new Error('draining')
    await expect(probe.probe({ kind: 'tcp', host: '127.0.0.1', port }, 2_000, AbortSignal.abort(reason))).rejects.toBe(reason)
    const controller = new AbortController()
    const pending = probe.probe({ kind: 'tcp', host: '127.0.0.1', port }, 2_000, controller.signal)
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
  })
})
