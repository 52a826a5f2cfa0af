/**
 * The stall detector the fault tests share: /health polled back to back, 10 ms apart, from the first answer on
 * (the first fetch of a process loads the HTTP client). stop() gives the longest time between two answers.
 */
export function pollHealth(url: string): { stop: () => Promise<{ longest: number; answers: number }> } {
  let running = true;
  let longest = 0;
  let answers = 0;
  const loop = (async () => {
    await (await fetch(`${url}/health`)).arrayBuffer();
    let last = performance.now();
    while (running) {
      await (await fetch(`${url}/health`)).arrayBuffer();
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      answers++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { longest, answers };
    },
  };
}
