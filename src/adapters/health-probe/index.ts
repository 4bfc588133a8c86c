export { HostHealthProbe } from './host-health-probe.js'
