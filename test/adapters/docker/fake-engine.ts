import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Dockerode from 'dockerode'

export type EngineHandler = (request: IncomingMessage, response: ServerResponse) => void

/**
 * A stand-in for the Engine API on 127.0.0.1, for what a real engine will not do on demand:
 * a pull that ends with an in-band error line, a stream cut short, an event stream split at
 * awkward bytes, a call that never answers. Handlers are keyed by "METHOD /path" without the
 * query string; anything else gets a 404 the way the engine words it.
 */
export class FakeEngine {
  readonly #server: Server
  readonly #handlers = new Map<string, EngineHandler>()
  readonly #open = new Set<ServerResponse>()

  private constructor() {
    this.#server = createServer((request, response) => {
      this.#open.add(response)
      response.on('close', () => this.#open.delete(response))
      const path = (request.url ?? '/').split('?')[0]?.replace(/^\/v[0-9.]+\//, '/') ?? '/'
      const handler = this.#handlers.get(`${request.method ?? 'GET'} ${path}`)
      if (handler !== undefined) return handler(request, response)
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ message: `page not found: ${path}` }))
    })
  }

  static async start(): Promise<FakeEngine> {
    const engine = new FakeEngine()
    await new Promise<void>((resolve) => engine.#server.listen(0, '127.0.0.1', resolve))
    return engine
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  /** A client for this engine, as DockerRuntime's `docker` option. */
  client(): Dockerode {
    return new Dockerode({ host: '127.0.0.1', port: this.port, protocol: 'http' })
  }

  on(route: string, handler: EngineHandler): void {
    this.#handlers.set(route, handler)
  }

  async close(): Promise<void> {
    for (const response of this.#open) response.destroy()
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())))
  }
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}
