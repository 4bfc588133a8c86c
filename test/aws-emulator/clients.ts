import { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import { EC2Client } from '@aws-sdk/client-ec2'
import { ECRClient } from '@aws-sdk/client-ecr'
import { SSMClient } from '@aws-sdk/client-ssm'
import { fastRetryStrategy, type Emulator, type FastRetryStrategy } from '../support/aws-emulator/index.js'

export interface Clients {
  readonly ssm: SSMClient
  readonly autoScaling: AutoScalingClient
  readonly ec2: EC2Client
  readonly ecr: ECRClient
  /** The retry strategy all four share: what the SDK classified each failed attempt as. */
  readonly retry: FastRetryStrategy
  destroy(): void
}

/** Real SDK clients pointed at the emulator, retrying fast (maxAttempts 3 unless told otherwise). */
export function clientsFor(emulator: Emulator, options: { maxAttempts?: number; instanceId?: string } = {}): Clients {
  const retry = fastRetryStrategy({ maxAttempts: options.maxAttempts ?? 3, delayMs: 2 })
  const as = options.instanceId === undefined ? {} : { instanceId: options.instanceId }
  const ssm = new SSMClient({ ...emulator.clientConfig('ssm', as), retryStrategy: retry })
  const autoScaling = new AutoScalingClient({ ...emulator.clientConfig('autoScaling', as), retryStrategy: retry })
  const ec2 = new EC2Client({ ...emulator.clientConfig('ec2', as), retryStrategy: retry })
  const ecr = new ECRClient({ ...emulator.clientConfig('ecr', as), retryStrategy: retry })
  return {
    ssm,
    autoScaling,
    ec2,
    ecr,
    retry,
    destroy() {
      for (const client of [ssm, autoScaling, ec2, ecr]) client.destroy()
    },
  }
}

/** The error a promise rejects with, for asserting on name, message and metadata. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; code?: string }> {
  try {
    await promise
  } catch (error) {
    if (error instanceof Error) return error
    throw new Error(`rejected with a non-error: ${String(error)}`)
  }
  throw new Error('expected the promise to reject, but it resolved')
}
