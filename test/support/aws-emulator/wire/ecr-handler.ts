import type { EmulatorClock } from '../clock.js'
import { awsJsonProtocol, epochSeconds, type JsonInput } from './aws-json-protocol.js'
import { ecrAuthorization } from './authorization.js'
import type { ServiceDefinition } from './http-service.js'

export interface EcrOptions {
  /** What GetAuthorizationToken names as the registry, e.g. a local registry's URL. */
  readonly proxyEndpoint: string
  /** The password inside the token (`AWS:<password>`), so a test registry can check it. */
  readonly password: string
  /** Token lifetime; ECR's is 12 hours. */
  readonly tokenTtlMs: number
}

/** ECR's GetAuthorizationToken over awsJson1_1; the rest of ECR is the registry itself. */
export function ecrService(clock: EmulatorClock, options: EcrOptions): ServiceDefinition<JsonInput> {
  return {
    service: 'ecr',
    authorize: ecrAuthorization(),
    protocol: awsJsonProtocol({ targetPrefix: 'AmazonEC2ContainerRegistry_V20150921', serverErrorCodes: { 500: 'ServerException', 503: 'ServiceUnavailable' } }),
    handlers: {
      GetAuthorizationToken: () => ({
        authorizationData: [{
          authorizationToken: Buffer.from(`AWS:${options.password}`).toString('base64'),
          expiresAt: epochSeconds(clock.now() + options.tokenTtlMs),
          proxyEndpoint: options.proxyEndpoint,
        }],
      }),
    },
  }
}
