/**
 * An in-process AWS for deckhand's tests: SSM, Auto Scaling, EC2, ECR and one IMDSv2 per
 * instance, each on its own 127.0.0.1 port and speaking the real wire protocol, so the agent runs
 * unchanged against it through the SDK's own endpoint variables. See README.md.
 */
export { startEmulator } from './emulator.js'
export type { BakeOptions, ClientConfig, ClientService, CreateGroupOptions, Emulator, EmulatorOptions, HookOptions } from './emulator.js'
export { ManualClock, realClock, type EmulatorClock } from './clock.js'
export type { CallFilter, CallLog, CallRecord } from './call-log.js'
export type { EmulatorEvent, EventListener, ServiceName, WaitOptions } from './events.js'
export type { Fault, FaultHandle, FaultScope, FaultSpec, Faults } from './faults.js'
export { emulatorEnv, noopLauncher, type Endpoints, type Launcher } from './launcher.js'
export type { GroupTag, HealthStatus, LifecycleHook, LifecycleResult, LifecycleState, LifecycleTransition } from './model/auto-scaling.js'
export type { Ec2State, SpotInstanceAction } from './model/ec2-instances.js'
export type { ParameterType, ParameterView } from './model/parameter-store.js'
export type { Region } from './model/region.js'
export type { EmulatedInstance, GroupView } from './model/views.js'
export { fastRetryStrategy, type FastRetryStrategy } from './fast-retry.js'
