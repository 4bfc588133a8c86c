import type { IncomingMessage } from 'node:http'
import type { ApiError } from '../model/api-error.js'

export interface WireResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** One AWS wire protocol: how a request names its operation, and how answers and errors look. */
export interface WireProtocol<Input> {
  /** The operation named by the request; throws an ApiError if it names none. */
  operation(request: IncomingMessage, body: string): string
  input(body: string): Input
  success(operation: string, output: unknown, requestId: string): WireResponse
  error(error: ApiError, requestId: string): WireResponse
  throttling(): ApiError
  /** The caller's role lacks the IAM permission for the operation, in the service's own words. */
  accessDenied(operation: string): ApiError
  serverError(status: 500 | 503, code?: string): ApiError
  unknownOperation(operation: string): ApiError
}
