import { ApiError } from '../model/api-error.js'
import type { WireProtocol } from './wire-protocol.js'

export type JsonInput = Readonly<Record<string, unknown>>

/**
 * awsJson1_1 (SSM, ECR): `POST /` with `X-Amz-Target: <Prefix>.<Operation>` and a JSON body.
 * Errors carry their code in both `x-amzn-ErrorType` and `__type`, which is where the SDK looks.
 * Timestamps are epoch seconds (see epochSeconds).
 */
export function awsJsonProtocol(options: { targetPrefix: string; serverErrorCodes: Readonly<Record<500 | 503, string>> }): WireProtocol<JsonInput> {
  return {
    operation(request) {
      const target = request.headers['x-amz-target']
      const [prefix, operation] = typeof target === 'string' ? target.split('.') : []
      if (prefix !== options.targetPrefix || !operation) throw new ApiError('UnknownOperationException', '')
      return operation
    },
    input(body) {
      let parsed: unknown
      try {
        parsed = body.length === 0 ? {} : JSON.parse(body)
      } catch {
        throw new ApiError('SerializationException', 'Start of structure or map found where not expected.')
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError('SerializationException', 'Start of structure or map found where not expected.')
      return parsed as JsonInput
    },
    success(_operation, output, requestId) {
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }, body: JSON.stringify(output ?? {}) }
    },
    error(error, requestId) {
      return {
        status: error.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
        body: JSON.stringify({ __type: error.code, message: error.message }),
      }
    },
    throttling: () => new ApiError('ThrottlingException', 'Rate exceeded', 400),
    accessDenied: (operation) =>
      new ApiError('AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/instance/i is not authorized to perform: ${options.targetPrefix === 'AmazonSSM' ? 'ssm' : 'ecr'}:${operation} because no identity-based policy allows the action`, 400),
    serverError: (status, code) => new ApiError(code ?? options.serverErrorCodes[status], 'We encountered an internal error. Please try again.', status),
    unknownOperation: () => new ApiError('UnknownOperationException', '', 400),
  }
}

/** awsJson timestamps: seconds since the epoch, with a fraction. */
export function epochSeconds(date: Date | number): number {
  return (typeof date === 'number' ? date : date.getTime()) / 1000
}

export function stringField(input: JsonInput, name: string, required: true): string
export function stringField(input: JsonInput, name: string, required?: false): string | undefined
export function stringField(input: JsonInput, name: string, required = false): string | undefined {
  const value = input[name]
  if (value === undefined || value === null) {
    if (required) throw new ApiError('ValidationException', `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`)
    return undefined
  }
  if (typeof value !== 'string') throw new ApiError('SerializationException', `Expected a string for ${name}`)
  return value
}

export function stringListField(input: JsonInput, name: string): string[] {
  const value = input[name]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ApiError('SerializationException', `Expected a list of strings for ${name}`)
  return value as string[]
}

export function booleanField(input: JsonInput, name: string): boolean | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw new ApiError('SerializationException', `Expected a boolean for ${name}`)
  return value
}

export function numberField(input: JsonInput, name: string): number | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw new ApiError('SerializationException', `Expected a number for ${name}`)
  return value
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}
