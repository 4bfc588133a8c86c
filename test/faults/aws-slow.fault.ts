import { describe } from 'vitest'
import { describeAwsFaults, SERVICES } from './support/aws-faults.js'

// Each service answering only after 20 s: past the SDK clients' 15 s request timeout and the
// agent's IMDS timeout. Long (every call waits), so `npm run faults` only.
describe('AWS slow past its timeouts while a group serves: nothing terminated, containers untouched', () => {
  describeAwsFaults(SERVICES.map((service) => ({ name: `${service} slow (20 s, past its timeout)`, service, inject: (g) => g.emulator.faults.latency(service, 20_000) })), { checksUnderFault: 2 })
})
