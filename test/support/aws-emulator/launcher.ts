import { accessKeyIdFor } from './ids.js'
import type { EmulatedInstance } from './model/views.js'

/**
 * What runs "on" an emulated instance. The emulator calls launch() once the instance's IMDS is
 * up (while it is still Pending), and terminate() when it reaches Terminated, like the death of
 * a VM: kill the agent, remove that instance's containers. Failures are reported as
 * `launcher-error` events, never thrown into the emulator.
 */
export interface Launcher {
  launch(instance: EmulatedInstance, env: Readonly<Record<string, string>>): void | Promise<void>
  terminate(instanceId: string): void | Promise<void>
}

export const noopLauncher: Launcher = {
  launch: () => undefined,
  terminate: () => undefined,
}

/** The emulator's endpoints, one per service, each its own 127.0.0.1 port. */
export interface Endpoints {
  readonly ssm: string
  readonly autoScaling: string
  readonly ec2: string
  readonly ecr: string
  /** Answers every other service with an error, so nothing under test can reach real AWS. */
  readonly fallback: string
}

/**
 * The environment an agent process needs to run unchanged against the emulator: the SDK's own
 * endpoint variables, a region, and fake static credentials. With an instance, the credentials
 * name it (so calls are attributed to it) and its own IMDS endpoint is included.
 */
export function emulatorEnv(endpoints: Endpoints, region: string, instance?: { instanceId: string; imdsEndpoint: string }): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: instance ? accessKeyIdFor(instance.instanceId) : 'emulated-test',
    AWS_SECRET_ACCESS_KEY: 'emulated-secret',
    AWS_ENDPOINT_URL: endpoints.fallback,
    AWS_ENDPOINT_URL_SSM: endpoints.ssm,
    AWS_ENDPOINT_URL_AUTO_SCALING: endpoints.autoScaling,
    AWS_ENDPOINT_URL_EC2: endpoints.ec2,
    AWS_ENDPOINT_URL_ECR: endpoints.ecr,
    ...(instance ? { AWS_EC2_METADATA_SERVICE_ENDPOINT: instance.imdsEndpoint, AWS_EC2_METADATA_V1_DISABLED: 'true' } : { AWS_EC2_METADATA_DISABLED: 'true' }),
  }
}
