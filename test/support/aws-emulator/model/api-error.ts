/**
 * An error a real AWS service would answer with. The model throws these with the service's own
 * error code and message; each wire protocol renders them in its own envelope.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly code: string
  readonly status: number

  constructor(code: string, message: string, status = 400) {
    super(message)
    this.code = code
    this.status = status
  }
}
