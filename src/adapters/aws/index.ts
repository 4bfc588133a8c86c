import type { RegistryCredentials } from '../docker/registry-credentials.js'
import type { Logger } from '../../ports/logger.js'
import { AwsFleet } from './auto-scaling-fleet.js'
import { createAwsClients, type AwsClientOptions, type AwsClients } from './clients.js'
import { EcrCredentials } from './ecr-credentials.js'
import { SsmConfigStore } from './ssm-config-store.js'

export { AwsFleet } from './auto-scaling-fleet.js'
export { awsClientConfig, createAwsClients, type AwsClientOptions, type AwsClients } from './clients.js'
export { EcrCredentials, ecrRegistry, type EcrCredentialsOptions } from './ecr-credentials.js'
export { callAws, translateAwsError } from './errors.js'
export { ImdsMetadata, imdsEndpoint, type ImdsOptions } from './imds.js'
export { SsmConfigStore } from './ssm-config-store.js'

export interface AwsAdapterOptions extends AwsClientOptions {
  readonly logger?: Logger
  /** Clients made elsewhere (tests, the emulator); by default built from the other options. */
  readonly clients?: AwsClients
}

export interface AwsAdapters {
  readonly config: SsmConfigStore
  readonly fleet: AwsFleet
  /** ECR pull credentials from the instance role, other registries from `fallback` (the Docker config). */
  ecr(fallback: RegistryCredentials): EcrCredentials
  readonly clients: AwsClients
  /** Closes the clients' sockets, at the end of the agent. */
  destroy(): void
}

/**
 * Every AWS adapter the agent needs, for the instance's region, in one call from the
 * composition root. IMDS comes before this (it tells the region), so ImdsMetadata is made on
 * its own.
 */
export function createAwsAdapters(options: AwsAdapterOptions): AwsAdapters {
  const clients = options.clients ?? createAwsClients(options)
  return {
    config: new SsmConfigStore({ ssm: clients.ssm }),
    fleet: new AwsFleet({ autoScaling: clients.autoScaling, ec2: clients.ec2 }),
    ecr: (fallback) => new EcrCredentials({ clientFor: clients.ecrFor, fallback, ...(options.logger === undefined ? {} : { logger: options.logger }) }),
    clients,
    destroy: () => clients.destroy(),
  }
}
