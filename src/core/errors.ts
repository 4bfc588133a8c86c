/**
 * One error class for everything deckhand raises on purpose. `code` is machine-readable,
 * `retryable` tells retry loops whether to keep going, and `message` is written for a person:
 * one sentence that names the thing and the fix. main prints `message` alone, with no stack.
 */
export type ErrorCode =
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNREADABLE'
  | 'VERSION_MISSING'
  | 'DOCKER_UNREACHABLE'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_PULL_FAILED'
  | 'NAME_CLASH'
  | 'CONTAINER_CREATE_FAILED'
  | 'DEPENDENCY_UNHEALTHY'
  | 'BOOT_DEADLINE'
  | 'PARAMETER_UNAVAILABLE'
  | 'STATE_DIR'
  | 'ENVIRONMENT_INVALID'
  | 'NOT_RUNNING'
  | 'AWS_UNAVAILABLE'
  | 'SERVICE_UNKNOWN'
  | 'INTERNAL'

export class DeckhandError extends Error {
  override readonly name = 'DeckhandError'
  readonly code: ErrorCode
  readonly retryable: boolean

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable ?? false
  }
}

export function isDeckhandError(error: unknown, code?: ErrorCode): error is DeckhandError {
  return error instanceof DeckhandError && (code === undefined || error.code === code)
}
