import { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import { EC2Client } from '@aws-sdk/client-ec2'
import { ECRClient } from '@aws-sdk/client-ecr'
import { SSMClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-ssm'
// Types only, of the package every SDK client is built on (no code of it is loaded from here).
import type { FinalizeRequestMiddleware } from '@smithy/types'
import type { Metrics } from '../../ports/metrics.js'
import { isThrottling } from './errors.js'

/**
 * The SDK clients, built in one place with the same settings:
 *
 * - `retryMode: 'adaptive'`: standard retries plus a client-side token bucket that slows this
 *   agent down once AWS throttles it. A thousand instances booting together otherwise hammer
 *   SSM's 40 TPS and EC2's DescribeInstances bucket in lock step.
 * - Per-attempt timeouts. The SDK's default is none until the response headers and a 15-minute
 *   idle socket after: a black-holed connection would hang a drift check. In
 *   @smithy/node-http-handler 4.x `requestTimeout` (send to response headers) only logs a
 *   warning unless `throwOnRequestTimeout` is set, so it is set; `socketTimeout` (idle socket,
 *   which also covers a body that stalls after the headers) gets the same value. The options go
 *   in as a plain object, which every client turns into its own NodeHttpHandler
 *   (`NodeHttpHandler.create`), so deckhand needs no direct dependency on that package.
 *
 * - With `metrics`, every attempt is counted by operation (GetParameter) and outcome (ok,
 *   throttled, error): a middleware just inside the SDK's retries, so the throttles the SDK
 *   retried away show too, which is what tells how close a fleet runs to a quota.
 *
 * Nothing else: endpoints come from the environment, which the SDK reads itself
 * (@smithy/core endpoints, `getEndpointFromConfig(serviceId)`): `AWS_ENDPOINT_URL_<SERVICE ID>`
 * with the service id upper-cased and spaces turned to underscores, so `AWS_ENDPOINT_URL_SSM`,
 * `AWS_ENDPOINT_URL_AUTO_SCALING`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_ECR`, else
 * `AWS_ENDPOINT_URL`; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns both off. Credentials come
 * from the default chain (the instance role through IMDS on EC2).
 *
 * Only src/adapters/aws/ imports the SDK; main loads this directory lazily, for `deckhand agent`.
 */
export interface AwsClientOptions {
  readonly region: string
  /** Attempts per call, the first included; default 5. */
  readonly maxAttempts?: number
  /** Per attempt: until the response headers, and the longest a socket may sit idle; default 15 s. */
  readonly requestTimeoutMs?: number
  /** TCP (and TLS) connection set-up; default 3 s. */
  readonly connectionTimeoutMs?: number
  readonly metrics?: Metrics
}

export interface AwsClients {
  readonly ssm: SSMClient
  readonly autoScaling: AutoScalingClient
  readonly ec2: EC2Client
  /** ECR in the agent's own region; EcrCredentials asks `ecrFor` for other regions' registries. */
  readonly ecr: ECRClient
  /** An ECR client for a registry's region, built once per region. */
  ecrFor(region: string): ECRClient
  /** Closes every client's sockets. */
  destroy(): void
}

export const DEFAULT_MAX_ATTEMPTS = 5
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000

/** The configuration every client shares, for one region. */
export function awsClientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    },
  } as const
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const config = awsClientConfig(options)
  const counted = <C extends CountableClient>(client: C): C => (options.metrics ? countCalls(client, options.metrics) : client)
  const ecr = new Map<string, ECRClient>([[options.region, counted(new ECRClient(config))]])
  const ssm = counted(new SSMClient(config))
  const autoScaling = counted(new AutoScalingClient(config))
  const ec2 = counted(new EC2Client(config))
  const ecrFor = (region: string): ECRClient => {
    let client = ecr.get(region)
    if (client === undefined) {
      client = counted(new ECRClient(awsClientConfig({ ...options, region })))
      ecr.set(region, client)
    }
    return client
  }
  return {
    ssm,
    autoScaling,
    ec2,
    ecr: ecrFor(options.region),
    ecrFor,
    destroy() {
      for (const client of [ssm, autoScaling, ec2, ...ecr.values()]) client.destroy()
    },
  }
}

type CountableClient = SSMClient | AutoScalingClient | EC2Client | ECRClient

/** Adds the counting middleware (see the comment at the top) to one client. */
function countCalls<C extends CountableClient>(client: C, metrics: Metrics): C {
  const stack = client.middlewareStack as SSMClient['middlewareStack']
  const middleware: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '')
      try {
        const result = await next(args)
        metrics.call('aws', operation, 'ok')
        return result
      } catch (error) {
        metrics.call('aws', operation, isThrottling(error) ? 'throttled' : 'error')
        throw error
      }
    }
  stack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'deckhandCallMetrics', override: true })
  return client
}
