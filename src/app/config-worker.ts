/** Worker thread of config-loader.ts: reads, parses and validates one config file and posts the result back. */
import { parentPort, workerData } from 'node:worker_threads';
import { readConfig } from '../config/index.js';
import { toPortable } from '../config/portable.js';
import { checkPolicyCondition, type ConfigWorkerInput } from './config-loader.js';

const input = workerData as ConfigWorkerInput;
parentPort?.postMessage(toPortable(readConfig({ path: input.path, env: input.env, checkPolicyCondition })));
