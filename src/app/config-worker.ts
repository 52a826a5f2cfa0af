/**
 * Worker thread of config-loader.ts: reads, parses and validates one config file and posts the result back as
 * serialized pieces, which the main thread copies in one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serialize } from 'node:v8';
import { readConfig } from '../config/index.js';
import { toPieces } from '../config/portable.js';
import { checkPolicyCondition, PIECE_SIZE, type ConfigWorkerInput } from './config-loader.js';

/** The bytes as an ArrayBuffer of their own, which can be handed over without a copy. */
function ownBuffer(bytes: Buffer): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : new Uint8Array(bytes).buffer;
}

const input = workerData as ConfigWorkerInput;
const pieces = toPieces(readConfig({ path: input.path, env: input.env, checkPolicyCondition }), PIECE_SIZE).map((p) => ownBuffer(serialize(p)));
parentPort?.postMessage(pieces, pieces);
