import { apiRequest } from './client';
import type { AdminUser, Stats } from './types';

export type AdminUserAction = 'list' | 'promote' | 'demote' | 'reset-password' | 'delete';

export async function listUsers(): Promise<AdminUser[]> {
  const res = await apiRequest<{ users?: AdminUser[]; items?: AdminUser[] } | AdminUser[]>('admin-users', {
    method: 'POST',
    body: { action: 'list' },
  });
  if (Array.isArray(res)) return res;
  return res.users ?? res.items ?? [];
}

export function userAction(action: Exclude<AdminUserAction, 'list'>, username: string, password?: string): Promise<unknown> {
  const body: Record<string, string> = { action, username };
  if (password !== undefined) body.password = password;
  return apiRequest('admin-users', { method: 'POST', body });
}

export function getStats(signal?: AbortSignal): Promise<Stats> {
  return apiRequest<Stats>('stats', { signal });
}
