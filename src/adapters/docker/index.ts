export { DockerRuntime, type DockerRuntimeOptions } from './docker-runtime.js'
export { DockerConfigCredentials, registryHost, type AuthConfig, type RegistryCredentials } from './registry-credentials.js'
export { DockerRunningEnv } from './container-env.js'
