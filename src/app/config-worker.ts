/**
 * Worker thread of config-loader.ts: reads, parses and validates one config file and posts the result back as
 * serialized pieces, which the main thread copies in one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serialize } from 'node:v8';
import { readConfig } from '../config/index.js';
import { toPieces } from '../config/portable.js';
import { checkPolicyCondition, PIECE_SIZE, type ConfigWorkerInput } from './config-loader.js';

const input = workerData as ConfigWorkerInput;
const pieces = toPieces(readConfig({ path: input.path, env: input.env, checkPolicyCondition }), PIECE_SIZE).map((p) => {
  const bytes = serialize(p);
  // A buffer that owns its memory is handed over without a copy.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
});
parentPort?.postMessage(pieces, pieces);
