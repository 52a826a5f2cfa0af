/** The footer's transient message: set it, and it clears itself after `flashMs`. */
import { useEffect, useState } from 'react';
import type { Flash } from './footer.js';

export function useFlash(flashMs: number): [flash: Flash | undefined, setFlash: (flash: Flash | undefined) => void] {
  const [flash, setFlash] = useState<Flash | undefined>(undefined);
  useEffect(() => {
    if (!flash) return;
    const handle = setTimeout(() => setFlash(undefined), flashMs);
    return () => clearTimeout(handle);
  }, [flash, flashMs]);
  return [flash, setFlash];
}
