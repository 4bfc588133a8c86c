import { describe } from 'vitest'
import { describeAwsFaults, SERVICES, type AwsFault } from './support/aws-faults.js'

// SSM, Auto Scaling, EC2 and IMDS throttled, answering 5xx, or dropping connections while a group
// serves. In CI: each fault costs a few drift checks of a one-instance group.
const faults: AwsFault[] = SERVICES.flatMap((service): AwsFault[] => [
  { name: `${service} throttled`, service, inject: (g) => g.emulator.faults.throttle(service) },
  { name: `${service} failing (503)`, service, inject: (g) => g.emulator.faults.serverError(service, { status: 503 }) },
  {
    name: `${service} unreachable (connections reset)`,
    service,
    inject: (g, id) => g.emulator.faults.outage(service, service === 'imds' ? { instanceId: id } : {}),
  },
])

describe('AWS failing while a group serves: nothing terminated, containers untouched', () => {
  describeAwsFaults(faults, { checksUnderFault: 2 })
})
