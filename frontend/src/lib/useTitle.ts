import { useEffect } from 'react';

/** Names the browser tab (and what screen readers announce on navigation) after the screen. */
export function useTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · FLMnCHLL` : 'FLMnCHLL';
  }, [title]);
}
