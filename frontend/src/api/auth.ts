import { apiRequest } from './client';
import type { LoginResponse, User } from './types';

export interface Credentials {
  username: string;
  password: string;
}

export function signup(credentials: Credentials): Promise<{ id: string; username: string }> {
  return apiRequest('signup', { method: 'POST', body: credentials, logoutOn401: false });
}

export function login(credentials: Credentials): Promise<LoginResponse> {
  return apiRequest('login', { method: 'POST', body: credentials, logoutOn401: false });
}

export function fetchMe(): Promise<User> {
  return apiRequest<User | { user: User }>('account/me').then((res) => ('user' in res ? res.user : res));
}

export function logout(): Promise<void> {
  return apiRequest('account/logout', { method: 'POST', body: {}, logoutOn401: false });
}

export function logoutAll(): Promise<void> {
  return apiRequest('account/logout-all', { method: 'POST', body: {}, logoutOn401: false });
}

export function changePassword(current_password: string, new_password: string): Promise<void> {
  return apiRequest('account/password', { method: 'POST', body: { current_password, new_password } });
}
