import { DeckhandError } from '../../core/errors.js'
import { oneLine } from '../../core/safe-text.js'

/**
 * The one translation of AWS SDK failures into DeckhandErrors. Every adapter call goes through
 * `callAws`, which names the IAM action it makes, so a person reading the error learns which
 * permission to grant or which service was down, in one sentence.
 *
 * By the time an error reaches here the SDK has already retried it (adaptive mode, see
 * clients.ts); `retryable` tells deckhand's own, slower loops whether trying later can help.
 */

/** The SDK's own throttling list (@smithy/core retry), plus the names the brief calls out. */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
])

/** The caller lacks an IAM permission: SSM and ECR say AccessDeniedException, Auto Scaling AccessDenied, EC2 UnauthorizedOperation. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess'])

/** Credentials missing, expired or refused: the instance profile, or the clock, not a policy. */
const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AuthFailure',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
])

const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException'])

/** Socket-level failures (Node errno codes and undici's). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
])

interface SdkErrorShape {
  readonly name?: unknown
  readonly code?: unknown
  readonly message?: unknown
  readonly $fault?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown }
  readonly cause?: unknown
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {}
}

function networkCode(error: unknown): string | undefined {
  // fetch wraps the socket error in `cause`; the SDK's handler throws it directly.
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 3; depth++) {
    const code = shape(current).code
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code
    current = shape(current).cause
  }
  return undefined
}

/**
 * AWS's own message, treated as input (it echoes what it was sent, and an endpoint on the path
 * may say anything): one line, control and bidi characters escaped, at most 300 characters, no
 * trailing period.
 */
function awsMessage(error: unknown): string {
  const message = shape(error).message
  const text = typeof message === 'string' ? message : String(error)
  return oneLine(text.replace(/\s+/g, ' '), { max: 300 }).replace(/\.$/, '')
}

/** AWS asked this agent to slow down: by a throttling error name or HTTP 429. */
export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(errorName(error) ?? '') || httpStatus(error) === 429
}

export function errorName(error: unknown): string | undefined {
  const name = shape(error).name
  return typeof name === 'string' ? name : undefined
}

export function httpStatus(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode
  return typeof status === 'number' ? status : undefined
}

/**
 * The DeckhandError for a failed call of `action` (the IAM action, `ssm:GetParameters`). A
 * DeckhandError passes through unchanged; so does an abort the caller asked for, as the signal's
 * reason, because cancelling is not a failure.
 */
export function translateAwsError(error: unknown, action: string, signal?: AbortSignal): unknown {
  if (signal?.aborted === true) return signal.reason
  if (error instanceof DeckhandError) return error
  const name = oneLine(errorName(error) ?? 'Error', { max: 100 })
  const status = httpStatus(error)
  const options = { cause: error }
  if (isThrottling(error)) {
    return new DeckhandError('AWS_UNAVAILABLE', `AWS throttled ${action} (${name}); deckhand backs off and tries again.`, { retryable: true, ...options })
  }
  if (ACCESS_DENIED.has(name)) {
    return new DeckhandError(
      'AWS_UNAVAILABLE',
      `The instance role is not allowed to call ${action} (${name}: ${awsMessage(error)}); add ${action} to the instance role's policy.`,
      { retryable: false, ...options },
    )
  }
  if (CREDENTIALS.has(name)) {
    return new DeckhandError(
      'AWS_UNAVAILABLE',
      `AWS refused deckhand's credentials for ${action} (${name}); check that the instance has an instance profile and that its clock is right.`,
      { retryable: true, ...options },
    )
  }
  const code = networkCode(error)
  if (code !== undefined || TRANSIENT_NAMES.has(name) || name === 'AbortError') {
    return new DeckhandError(
      'AWS_UNAVAILABLE',
      `${action} did not get an answer from AWS (${code ?? name}); check this instance's network path to the AWS endpoint.`,
      { retryable: true, ...options },
    )
  }
  if ((status !== undefined && status >= 500) || shape(error).$fault === 'server') {
    return new DeckhandError('AWS_UNAVAILABLE', `AWS failed ${action} (${name}, HTTP ${status ?? 'error'}); deckhand tries again later.`, { retryable: true, ...options })
  }
  // A 4xx the service meant (validation, a missing resource): trying again changes nothing.
  // An error with no HTTP answer at all is unknown ground, so it may be tried again.
  const clientFault = shape(error).$fault === 'client' || (status !== undefined && status >= 400)
  return new DeckhandError('AWS_UNAVAILABLE', `${action} failed (${name}: ${awsMessage(error)}).`, { retryable: !clientFault, ...options })
}

/** Runs one SDK call as `action`, with the caller's signal, translating any failure. */
export async function callAws<T>(action: string, signal: AbortSignal | undefined, run: (options: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
  try {
    return await run(signal === undefined ? {} : { abortSignal: signal })
  } catch (error) {
    throw translateAwsError(error, action, signal)
  }
}
