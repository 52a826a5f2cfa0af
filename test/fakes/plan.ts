/**
 * A response plan: the exact bytes a fake will send and the faults around them, as data. Renderers build plans
 * without I/O, so a test can inspect or compare the bytes a scenario produces; the server only executes them.
 */
export interface ResponseHead {
  status: number;
  headers: Readonly<Record<string, string>>;
}

export type Step =
  | { op: 'write'; bytes: Buffer }
  | { op: 'delay'; ms: number }
  /** Finish the response normally. */
  | { op: 'end' }
  /** Stop sending and keep the connection open until the client leaves or the fake closes. */
  | { op: 'hang' }
  /** `socket.destroy()`: the client sees a connection reset. */
  | { op: 'destroy' };

export interface ResponsePlan {
  /** null: headers are never sent (the steps can then only hang or destroy). */
  head: ResponseHead | null;
  steps: readonly Step[];
}

export type BodyFault = 'none' | 'stall' | 'reset' | 'truncate';

export type StreamFault =
  | { kind: 'none' }
  | { kind: 'stall'; after: number }
  | { kind: 'reset'; after: number }
  /** After `after` frames, send `bytes`; then the frames from `resumeAt` on, or nothing more when null. */
  | { kind: 'inject'; after: number; bytes: Buffer; resumeAt: number | null };

/** Half of a body, at least one byte, so a partial body is never empty and never whole. */
function half(body: Buffer): Buffer {
  return body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
}

/** A complete (non-stream) body with an optional fault. */
export function bodyPlan(status: number, headers: Record<string, string>, body: Buffer, fault: BodyFault = 'none'): ResponsePlan {
  if (fault === 'truncate') {
    const cut = half(body);
    return { head: { status, headers: { ...headers, 'content-length': String(cut.length) } }, steps: [{ op: 'write', bytes: cut }, { op: 'end' }] };
  }
  // The announced length is the full body's, so a client reading a stalled or reset body knows it is short.
  const head = { status, headers: { ...headers, 'content-length': String(body.length) } };
  switch (fault) {
    case 'none':
      return { head, steps: [{ op: 'write', bytes: body }, { op: 'end' }] };
    case 'stall':
      return { head, steps: [{ op: 'write', bytes: half(body) }, { op: 'hang' }] };
    case 'reset':
      return { head, steps: [{ op: 'write', bytes: half(body) }, { op: 'destroy' }] };
  }
}

/**
 * A stream of SSE frames. With no delay the frames before a fault go out in one write (the fast path for
 * benchmarks); with a delay each frame is its own write, separated by `delayMs`.
 */
export function streamPlan(
  status: number,
  headers: Record<string, string>,
  frames: readonly Buffer[],
  delayMs: number,
  fault: StreamFault = { kind: 'none' },
): ResponsePlan {
  const cut = fault.kind === 'none' ? frames.length : Math.min(fault.after, frames.length);
  let sent: Buffer[] = frames.slice(0, cut);
  let tail: Step[];
  switch (fault.kind) {
    case 'none':
      tail = [{ op: 'end' }];
      break;
    case 'stall':
      tail = [{ op: 'hang' }];
      break;
    case 'reset':
      tail = [{ op: 'destroy' }];
      break;
    case 'inject':
      sent = [...sent, fault.bytes, ...(fault.resumeAt === null ? [] : frames.slice(fault.resumeAt))];
      tail = [{ op: 'end' }];
      break;
  }
  return { head: { status, headers }, steps: [...writeSteps(sent, delayMs), ...tail] };
}

function writeSteps(frames: readonly Buffer[], delayMs: number): Step[] {
  if (frames.length === 0) return [];
  if (delayMs <= 0) return [{ op: 'write', bytes: Buffer.concat(frames) }];
  const steps: Step[] = [];
  frames.forEach((bytes, i) => {
    if (i > 0) steps.push({ op: 'delay', ms: delayMs });
    steps.push({ op: 'write', bytes });
  });
  return steps;
}

export const HANG_BEFORE_HEADERS: ResponsePlan = { head: null, steps: [{ op: 'hang' }] };
export const RESET_BEFORE_HEADERS: ResponsePlan = { head: null, steps: [{ op: 'destroy' }] };

/** Every body byte a plan sends, in order. */
export function planBodyBytes(plan: ResponsePlan): Buffer {
  const parts: Buffer[] = [];
  for (const step of plan.steps) if (step.op === 'write') parts.push(step.bytes);
  return Buffer.concat(parts);
}

/** The body as text, for assertions. */
export function planBodyText(plan: ResponsePlan): string {
  return planBodyBytes(plan).toString('utf8');
}

/** Re-plans a complete body response with a fault, for endpoints that have no stream form. */
export function withBodyFault(plan: ResponsePlan, fault: BodyFault): ResponsePlan {
  if (fault === 'none' || !plan.head) return plan;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(plan.head.headers)) if (k.toLowerCase() !== 'content-length') headers[k] = v;
  return bodyPlan(plan.head.status, headers, planBodyBytes(plan), fault);
}
