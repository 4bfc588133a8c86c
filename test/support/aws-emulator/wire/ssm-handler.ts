import { ApiError } from '../model/api-error.js'
import type { ParameterType, ParameterView } from '../model/parameter-store.js'
import type { Region } from '../model/region.js'
import { awsJsonProtocol, booleanField, epochSeconds, numberField, stringField, stringListField, type JsonInput } from './aws-json-protocol.js'
import { ssmAuthorization } from './authorization.js'
import type { ServiceDefinition } from './http-service.js'

/** SSM Parameter Store over awsJson1_1 (`X-Amz-Target: AmazonSSM.<Operation>`). */
export function ssmService(region: Region): ServiceDefinition<JsonInput> {
  const store = region.parameters
  return {
    service: 'ssm',
    authorize: ssmAuthorization(region),
    protocol: awsJsonProtocol({ targetPrefix: 'AmazonSSM', serverErrorCodes: { 500: 'InternalServerError', 503: 'ServiceUnavailable' } }),
    handlers: {
      GetParameter: (input) => ({
        Parameter: parameterJson(store.get(stringField(input, 'Name', true), booleanField(input, 'WithDecryption') ?? false)),
      }),
      GetParameters: (input) => {
        const { parameters, invalid } = store.getMany(stringListField(input, 'Names'), booleanField(input, 'WithDecryption') ?? false)
        return { Parameters: parameters.map(parameterJson), InvalidParameters: invalid }
      },
      GetParametersByPath: (input) => {
        if (input['ParameterFilters'] !== undefined) throw new ApiError('ValidationException', 'The aws-emulator does not support ParameterFilters.')
        const { parameters, nextToken } = store.byPath(stringField(input, 'Path', true), {
          recursive: booleanField(input, 'Recursive'),
          withDecryption: booleanField(input, 'WithDecryption'),
          maxResults: numberField(input, 'MaxResults'),
          nextToken: stringField(input, 'NextToken'),
        })
        return { Parameters: parameters.map(parameterJson), ...(nextToken === undefined ? {} : { NextToken: nextToken }) }
      },
      PutParameter: (input) => {
        const { version, tier } = store.put({
          name: stringField(input, 'Name', true),
          value: stringField(input, 'Value', true),
          type: stringField(input, 'Type') as ParameterType | undefined,
          overwrite: booleanField(input, 'Overwrite'),
          tier: stringField(input, 'Tier'),
        })
        return { Version: version, Tier: tier }
      },
      DeleteParameter: (input: JsonInput) => {
        store.delete(stringField(input, 'Name', true))
        return {}
      },
    },
  }
}

function parameterJson(parameter: ParameterView): Record<string, unknown> {
  return {
    Name: parameter.name,
    Type: parameter.type,
    Value: parameter.value,
    Version: parameter.version,
    ...(parameter.selector === undefined ? {} : { Selector: parameter.selector }),
    LastModifiedDate: epochSeconds(parameter.lastModifiedDate),
    ARN: parameter.arn,
    DataType: parameter.dataType,
  }
}
