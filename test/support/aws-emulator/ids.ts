import { randomBytes, randomUUID } from 'node:crypto'

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length)
}

/** EC2 ids are a prefix and 17 lowercase hex digits. */
export const newInstanceId = (): string => `i-${hex(17)}`
export const newReservationId = (): string => `r-${hex(17)}`
export const newLaunchTemplateId = (): string => `lt-${hex(17)}`
export const newRequestId = (): string => randomUUID()
export const newToken = (): string => randomUUID()
export const newSecret = (): string => randomBytes(24).toString('base64url')

/** Access keys from emulator.env(instanceId) name the instance, so its API calls can be attributed. */
export const accessKeyIdFor = (instanceId: string): string => `emulated-${instanceId}`

export function instanceIdFromAccessKey(accessKeyId: string): string | undefined {
  return /^emulated-(i-[0-9a-f]+)$/.exec(accessKeyId)?.[1]
}
