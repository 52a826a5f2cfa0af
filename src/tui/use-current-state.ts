/**
 * React state whose newest value can be read at once, before React renders it.
 *
 * Ink delivers the keys of one read from the terminal (fast typing while the event loop is busy, a
 * paste without bracketed paste) as several input events in the same tick, and React renders only
 * after the last of them. A key handler that read the state of its last render would act on the
 * state from before the previous key: "⌫" then "7.25⏎" in one read would save "57.25". Handlers read
 * `current()` instead, which already includes every update made so far.
 */
import { useCallback, useRef, useState } from 'react';

export function useCurrentState<T>(initial: T): [state: T, current: () => T, update: (change: (previous: T) => T) => void] {
  const [state, setState] = useState(initial);
  const latest = useRef(state);
  const current = useCallback(() => latest.current, []);
  const update = useCallback((change: (previous: T) => T) => {
    const next = change(latest.current);
    if (Object.is(next, latest.current)) return;
    latest.current = next;
    setState(next);
  }, []);
  return [state, current, update];
}
