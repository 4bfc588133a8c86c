/**
 * Whether the host itself is going down (a reboot, a stop, EC2 terminating the VM), as opposed
 * to the agent alone being stopped or restarted (SPEC §1.10). On a systemd host that is the
 * system state `stopping`.
 */
export interface HostShutdown {
  /** False when it cannot tell: a plain agent restart must never drain the instance. */
  isShuttingDown(signal?: AbortSignal): Promise<boolean>
}
