/**
 * Which items of a list arrived recently: notices and the newest chat lines stay on screen for a few
 * seconds after they arrive, then step aside.
 */
import { useEffect, useRef, useState } from 'react';

export interface Identified {
  id: string;
}

export class Freshness {
  private readonly firstSeen = new Map<string, number>();

  /**
   * The items first seen less than `ms` before `now` (new ones are seen now), and when the oldest of
   * them goes stale (null when none is fresh).
   */
  fresh<T extends Identified>(items: readonly T[], now: number, ms: number): { items: T[]; staleAt: number | null } {
    const present = new Set<string>();
    const fresh: T[] = [];
    let staleAt: number | null = null;
    for (const item of items) {
      present.add(item.id);
      const seen = this.firstSeen.get(item.id) ?? now;
      this.firstSeen.set(item.id, seen);
      if (now - seen < ms) {
        fresh.push(item);
        staleAt = staleAt === null ? seen + ms : Math.min(staleAt, seen + ms);
      }
    }
    for (const id of [...this.firstSeen.keys()]) if (!present.has(id)) this.firstSeen.delete(id);
    return { items: fresh, staleAt };
  }
}

/** The items of `items` that arrived less than `ms` ago; re-renders as they go stale. */
export function useFresh<T extends Identified>(items: readonly T[], ms: number): T[] {
  const tracker = useRef<Freshness | null>(null);
  const [fresh, setFresh] = useState<T[]>([]);
  useEffect(() => {
    tracker.current ??= new Freshness();
    const board = tracker.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = (): void => {
      const now = Date.now();
      const next = board.fresh(items, now, ms);
      setFresh(next.items);
      if (next.staleAt !== null) timer = setTimeout(update, Math.max(0, next.staleAt - now) + 20);
    };
    update();
    return () => clearTimeout(timer);
  }, [items, ms]);
  return fresh;
}
