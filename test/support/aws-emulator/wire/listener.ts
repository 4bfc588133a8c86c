import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * An HTTP server on 127.0.0.1 and a random port that can stop listening and come back on the
 * same port: how a `refuse` outage makes clients see ECONNREFUSED rather than an HTTP error.
 */
export class Listener {
  #refusing = false
  #closed = false

  private constructor(private readonly server: Server, readonly port: number) {}

  static async open(handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>): Promise<Listener> {
    const listener: RequestListener = (request, response) => {
      handler(request, response).catch((error: unknown) => {
        // A bug in the emulator itself: say so loudly rather than hang the client.
        console.error('aws-emulator: unhandled error while answering a request', error)
        if (!response.headersSent) response.writeHead(500).end(String(error))
        else response.destroy()
      })
    }
    const server = createServer(listener)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return new Listener(server, (server.address() as AddressInfo).port)
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get refusing(): boolean {
    return this.#refusing
  }

  /** Stops accepting connections and drops open ones (pooled keep-alive sockets included). */
  refuse(): void {
    if (this.#refusing || this.#closed) return
    this.#refusing = true
    this.server.close()
    this.server.closeAllConnections()
  }

  async resume(): Promise<void> {
    if (!this.#refusing || this.#closed) return
    this.#refusing = false
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#refusing) return
    this.#refusing = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
