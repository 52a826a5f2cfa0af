export { GatewayNotRunningError, ManagementApiError, isConnectionRefused } from './errors.js';
export { ManagementClient, type AgentDetail, type LogQuery, type LogStreamQuery, type ManagementClientOptions, type ResumeResult } from './management-client.js';
