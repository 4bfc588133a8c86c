import { ApiError } from '../model/api-error.js'
import { FormParams } from './form-params.js'
import type { WireProtocol } from './wire-protocol.js'
import { escapeXml, toXml } from './xml.js'

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/'

/**
 * EC2's own query protocol: the request is awsQuery's, with flat lists (`InstanceId.1`), but the
 * answer has no `<XResult>` wrapper, starts with `<requestId>`, uses lowerCamel elements with
 * `<item>` lists, and errors come as `<Response><Errors><Error>…</Error></Errors><RequestID>`.
 * Throttling is `RequestLimitExceeded` with HTTP 503.
 */
export function ec2QueryProtocol(): WireProtocol<FormParams> {
  const xml = { 'content-type': 'text/xml;charset=UTF-8' }
  return {
    operation(_request, body) {
      const action = FormParams.parse(body).get('Action')
      if (!action) throw new ApiError('MissingAction', 'The request must contain the parameter Action')
      return action
    },
    input: (body) => FormParams.parse(body),
    success(operation, output, requestId) {
      const fields = toXml((output ?? { return: true }) as Parameters<typeof toXml>[0], 'item')
      return {
        status: 200,
        headers: { ...xml, 'x-amzn-requestid': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${XMLNS}"><requestId>${requestId}</requestId>${fields}</${operation}Response>`,
      }
    },
    error(error, requestId) {
      return {
        status: error.status,
        headers: { ...xml, 'x-amzn-requestid': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      }
    },
    throttling: () => new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503),
    accessDenied: () => new ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403),
    serverError: (status, code) => status === 503
      ? new ApiError(code ?? 'Unavailable', 'The server is overloaded and can\'t handle the request.', 503)
      : new ApiError(code ?? 'InternalError', 'An internal error has occurred.', 500),
    unknownOperation: (operation) => new ApiError('InvalidAction', `The action ${operation} is not valid for this web service.`, 400),
  }
}
