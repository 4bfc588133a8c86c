import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CallLog } from '../call-log.js'
import type { ServiceName } from '../events.js'
import type { Faults } from '../faults.js'
import { instanceIdFromAccessKey, newRequestId } from '../ids.js'
import { ApiError } from '../model/api-error.js'
import { Listener, readBody, sleep } from './listener.js'
import type { Authorize } from './authorization.js'
import type { WireProtocol, WireResponse } from './wire-protocol.js'

export interface CallContext {
  readonly requestId: string
  /** The instance whose emulator.env() credentials signed the request, if any. */
  readonly instanceId: string | undefined
}

export type Handler<Input> = (input: Input, call: CallContext) => unknown

export interface ServiceDefinition<Input> {
  readonly service: ServiceName
  readonly protocol: WireProtocol<Input>
  readonly handlers: Readonly<Record<string, Handler<Input>>>
  /** What IAM would evaluate for a request, recorded with the call (wire/authorization.ts). */
  readonly authorize?: Authorize<Input>
}

export interface ServiceDependencies {
  readonly faults: Faults
  readonly calls: CallLog
}

/**
 * One emulated AWS endpoint. Each request: read → name the operation → log the call → apply
 * faults (latency, then a failure) → run the handler → answer in the protocol's shape. Requests
 * are not signature-checked, but the credential in the Authorization header names the caller.
 */
export async function startService<Input>(definition: ServiceDefinition<Input>, deps: ServiceDependencies): Promise<Listener> {
  const { service, protocol, handlers } = definition
  const listener = await Listener.open(async (request, response) => {
    const body = await readBody(request)
    const requestId = newRequestId()
    let operation: string
    try {
      operation = protocol.operation(request, body)
    } catch (error) {
      send(response, protocol.error(asApiError(error, protocol), requestId))
      return
    }
    const instanceId = callerInstance(request)
    const record = deps.calls.start(service, operation, instanceId, definition.authorize?.(operation, protocol.input(body)) ?? [])
    const { latencyMs, failure } = deps.faults.decide(service, operation, instanceId)
    if (latencyMs > 0) await sleep(latencyMs)
    if (failure?.kind === 'outage') {
      request.socket.destroy()
      deps.calls.finish(record, 'reset')
      return
    }
    let answer: WireResponse
    let outcome = 'ok'
    if (failure) {
      const error = failure.kind === 'throttle' ? protocol.throttling() : failure.kind === 'denied' ? protocol.accessDenied(operation) : protocol.serverError(failure.status ?? 500, failure.code)
      answer = protocol.error(error, requestId)
      outcome = error.code
    } else {
      const handler = handlers[operation]
      try {
        if (!handler) throw protocol.unknownOperation(operation)
        answer = protocol.success(operation, await handler(protocol.input(body), { requestId, instanceId }), requestId)
      } catch (error) {
        const apiError = asApiError(error, protocol)
        answer = protocol.error(apiError, requestId)
        outcome = apiError.code
      }
    }
    send(response, answer)
    deps.calls.finish(record, outcome)
  })
  const sync = async (): Promise<void> => {
    if (deps.faults.isRefusing(service)) listener.refuse()
    else await listener.resume()
  }
  deps.faults.onRefusalChange(sync)
  return listener
}

function send(response: ServerResponse, answer: WireResponse): void {
  if (response.destroyed) return
  response.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) })
  response.end(answer.body)
}

function asApiError(error: unknown, protocol: WireProtocol<unknown>): ApiError {
  if (error instanceof ApiError) return error
  // Not an AWS answer but a bug in the emulator: fail loudly, as a 500 the test will see.
  console.error('aws-emulator: handler failed', error)
  return protocol.serverError(500, 'EmulatorBug')
}

function callerInstance(request: IncomingMessage): string | undefined {
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(request.headers.authorization ?? '')?.[1]
  return accessKeyId === undefined ? undefined : instanceIdFromAccessKey(accessKeyId)
}
