import type Dockerode from 'dockerode'
import type { RunningEnv } from '../../ports/running-env.js'
import { LeanDockerode } from './lean-dockerode.js'

/** A container's creation-time environment from `docker inspect` (Config.Env). */
export class DockerRunningEnv implements RunningEnv {
  readonly #docker: Dockerode

  constructor(docker?: Dockerode) {
    this.#docker = docker ?? new LeanDockerode()
  }

  async env(containerName: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>> | undefined> {
    let info: Dockerode.ContainerInspectInfo
    try {
      info = await this.#docker.getContainer(containerName).inspect(signal ? { abortSignal: signal } : {})
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined
      throw error
    }
    const env: Record<string, string> = {}
    for (const entry of info.Config.Env ?? []) {
      const at = entry.indexOf('=')
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1)
    }
    return env
  }
}
