import { describe, expect, it } from 'vitest'
import { callAws, translateAwsError } from '../../../src/adapters/aws/errors.js'
import { DeckhandError } from '../../../src/core/errors.js'
import { networkError, serviceError } from './sdk-errors.js'

function translate(error: unknown, action = 'ssm:GetParameters'): DeckhandError {
  const translated = translateAwsError(error, action)
  expect(translated).toBeInstanceOf(DeckhandError)
  return translated as DeckhandError
}

describe('translateAwsError', () => {
  it.each(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException'])('%s is a retryable AWS_UNAVAILABLE', (name) => {
    const error = translate(serviceError(name))
    expect(error.code).toBe('AWS_UNAVAILABLE')
    expect(error.retryable).toBe(true)
    expect(error.message).toBe(`AWS throttled ssm:GetParameters (${name}); deckhand backs off and tries again.`)
  })

  it('a bare HTTP 429 is throttling too', () => {
    expect(translate(serviceError('Unknown', { status: 429 })).retryable).toBe(true)
  })

  it.each([
    ['AccessDeniedException', 'ssm:GetParameters'],
    ['AccessDenied', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
    ['UnauthorizedOperation', 'ec2:CreateTags'],
  ])('%s names the action and the fix, and is not retryable', (name, action) => {
    const error = translate(serviceError(name, { message: 'User: arn:aws:sts::1:assumed-role/web/i-1 is not authorized to perform this action.' }), action)
    expect(error.code).toBe('AWS_UNAVAILABLE')
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(new RegExp(`^The instance role is not allowed to call ${action} \\(${name}: User: .* is not authorized to perform this action\\); add ${action} to the instance role's policy\\.$`))
  })

  it.each([
    [serviceError('InternalFailure', { status: 500 })],
    [serviceError('ServiceUnavailable', { status: 503 })],
    [serviceError('SomethingNew', { status: 502 })],
    [Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
    [networkError('ECONNREFUSED')],
    [networkError('ENOTFOUND')],
    [Object.assign(new TypeError('fetch failed'), { cause: networkError('ECONNRESET') })],
  ])('%s is a retryable AWS_UNAVAILABLE', (raw) => {
    const error = translate(raw)
    expect(error.code).toBe('AWS_UNAVAILABLE')
    expect(error.retryable).toBe(true)
    expect(error.cause).toBe(raw)
  })

  it('names the network failure', () => {
    expect(translate(networkError('ECONNREFUSED'), 'ec2:DescribeInstances').message).toBe(
      "ec2:DescribeInstances did not get an answer from AWS (ECONNREFUSED); check this instance's network path to the AWS endpoint.",
    )
  })

  it('missing credentials are retryable and point at the instance profile', () => {
    const error = translate(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))
    expect(error.retryable).toBe(true)
    expect(error.message).toContain('instance profile')
  })

  it('a client fault is not retryable, and keeps AWS words', () => {
    const error = translate(serviceError('ValidationError', { message: 'No active Lifecycle Action found with instance ID i-1.' }), 'autoscaling:CompleteLifecycleAction')
    expect(error.retryable).toBe(false)
    expect(error.message).toBe('autoscaling:CompleteLifecycleAction failed (ValidationError: No active Lifecycle Action found with instance ID i-1).')
  })

  it('passes a DeckhandError through, and an abort as its reason', () => {
    const own = new DeckhandError('SERVICE_UNKNOWN', 'x')
    expect(translateAwsError(own, 'ssm:GetParameters')).toBe(own)
    const controller = new AbortController()
    const reason = new Error('draining')
    controller.abort(reason)
    expect(translateAwsError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'ssm:GetParameters', controller.signal)).toBe(reason)
  })
})

describe('callAws', () => {
  it('hands the caller signal to the SDK as abortSignal', async () => {
    const signal = new AbortController().signal
    let seen: unknown
    await callAws('ssm:GetParameters', signal, async (options) => {
      seen = options.abortSignal
    })
    expect(seen).toBe(signal)
  })

  it('translates what the call throws', async () => {
    await expect(callAws('ssm:GetParameters', undefined, () => Promise.reject(serviceError('ThrottlingException')))).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true })
  })
})

describe("AWS's text treated as input", () => {
  it('is one escaped, bounded line: a control sequence, a forged line or a bidi override in a message or name cannot reach a log or tag raw', () => {
    const denied = translate(serviceError('AccessDeniedException', { message: `denied\u001b[2J\n{"level":"info"}\u202e ${'x'.repeat(1000)}` }))
    expect(denied.message).not.toMatch(/[\u0000-\u001f\u202e]/)
    expect(denied.message).toContain('denied\\x1b[2J {"level":"info"}\\u202e')
    expect(denied.message.length).toBeLessThan(500)
    const odd = translate(serviceError('Weird\u001b[31mName', { status: 400, message: 'bad' }))
    expect(odd.message).toBe('ssm:GetParameters failed (Weird\\x1b[31mName: bad).')
  })
})
