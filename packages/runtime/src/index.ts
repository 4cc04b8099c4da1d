export { openCoreConnections, type CoreConnections } from './core-connections.ts';
export { onShutdown, type ShutdownOptions } from './graceful-shutdown.ts';
export { waitForDependencies, type Dependency } from './wait-for-dependencies.ts';
export { withinDeadline } from './within-deadline.ts';
