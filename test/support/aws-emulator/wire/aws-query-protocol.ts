import { ApiError } from '../model/api-error.js'
import { FormParams } from './form-params.js'
import type { WireProtocol } from './wire-protocol.js'
import { escapeXml, toXml, type XmlValue } from './xml.js'

export type QueryOutput = { readonly [element: string]: XmlValue } | undefined

/**
 * awsQuery (Auto Scaling): a form-encoded `POST /` with `Action` and `Version`; the answer is
 * `<XResponse><XResult>…</XResult><ResponseMetadata>` with `<member>` lists, and errors are
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error>`, Type Sender for 4xx, Receiver for 5xx.
 */
export function awsQueryProtocol(options: { xmlns: string; version: string }): WireProtocol<FormParams> {
  const xml = { 'content-type': 'text/xml' }
  return {
    operation(_request, body) {
      const action = FormParams.parse(body).get('Action')
      if (!action) throw new ApiError('MissingAction', 'Could not find an Action in the request.')
      return action
    },
    input: (body) => FormParams.parse(body),
    success(operation, output, requestId) {
      const result = output === undefined ? '' : `<${operation}Result>${toXml(output as NonNullable<QueryOutput>, 'member')}</${operation}Result>`
      return {
        status: 200,
        headers: { ...xml, 'x-amzn-requestid': requestId },
        body: `<${operation}Response xmlns="${options.xmlns}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
      }
    },
    error(error, requestId) {
      const type = error.status >= 500 ? 'Receiver' : 'Sender'
      return {
        status: error.status,
        headers: { ...xml, 'x-amzn-requestid': requestId },
        body: `<ErrorResponse xmlns="${options.xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      }
    },
    throttling: () => new ApiError('Throttling', 'Rate exceeded', 400),
    accessDenied: (operation) => new ApiError('AccessDenied', `User: arn:aws:sts::123456789012:assumed-role/instance/i is not authorized to perform: autoscaling:${operation}`, 403),
    serverError: (status, code) => new ApiError(code ?? (status === 503 ? 'ServiceUnavailable' : 'InternalFailure'), 'An internal error occurred. Please try again.', status),
    unknownOperation: (operation) => new ApiError('InvalidAction', `Could not find operation ${operation} for version ${options.version}`, 400),
  }
}
