import { apiRequest } from './client';
import type { AdminUser, Stats } from './types';

export type AdminUserAction = 'list' | 'promote' | 'demote' | 'reset-password' | 'delete';

export interface UserPage {
  users: AdminUser[];
  total: number;
  page: number;
  per_page: number;
}

export async function listUsers(page = 1, perPage = 100): Promise<UserPage> {
  const res = await apiRequest<Partial<UserPage> & { items?: AdminUser[] }>('admin-users', {
    method: 'POST',
    body: { action: 'list', page, per_page: perPage },
  });
  const users = res.users ?? res.items ?? [];
  return { users, total: res.total ?? users.length, page: res.page ?? page, per_page: res.per_page ?? perPage };
}

export function userAction(action: Exclude<AdminUserAction, 'list'>, username: string, password?: string): Promise<unknown> {
  const body: Record<string, string> = { action, username };
  if (password !== undefined) body.password = password;
  return apiRequest('admin-users', { method: 'POST', body });
}

export function getStats(signal?: AbortSignal): Promise<Stats> {
  return apiRequest<Stats>('stats', { signal });
}
