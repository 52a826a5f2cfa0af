/** Whether the component is still mounted: answers that arrive after the dashboard closed are dropped. */
import { type RefObject, useEffect, useRef } from 'react';

export function useMounted(): RefObject<boolean> {
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  return mounted;
}
