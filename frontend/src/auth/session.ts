import { USER_KEY } from '../api/client';
import type { User } from '../api/types';

export function loadUser(): User | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<User>;
    if (typeof parsed.id === 'string' && typeof parsed.username === 'string') {
      return { id: parsed.id, username: parsed.username, role: parsed.role ?? 'viewer' };
    }
  } catch {
    // unreadable: treat as logged out
  }
  return null;
}

export function saveUser(user: User | null): void {
  try {
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
    else localStorage.removeItem(USER_KEY);
  } catch {
    // storage unavailable
  }
}
