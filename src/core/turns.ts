/**
 * Resolves once the event loop has polled for I/O again. An immediate queued from an I/O callback still runs
 * before the next poll; one queued from that immediate runs after it, so requests that came in meanwhile are
 * answered first. Put between the pieces of one long stretch of main-thread work.
 */
export function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
