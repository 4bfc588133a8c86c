/**
 * The environment a container was created with, as the engine keeps it. A restarted agent reads
 * a `{ ssm }` value from here when the parameter version its instance booted with can no longer
 * be read (deleted, or aged out of SSM's 100 versions): the instance keeps running what it
 * booted with, and never needs SSM for it again.
 */
export interface RunningEnv {
  /** undefined when no container of that name exists. */
  env(containerName: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>> | undefined>
}
