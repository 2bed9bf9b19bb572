import { createContext, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import * as authApi from '../api/auth';
import { ApiError, getToken, onUnauthorized, setToken } from '../api/client';
import type { User } from '../api/types';
import { loadUser, saveUser } from './session';

export interface AuthState {
  user: User | null;
  isAdmin: boolean;
  login: (username: string, password: string) => Promise<User>;
  signup: (username: string, password: string) => Promise<User>;
  logout: (everywhere?: boolean) => Promise<void>;
}

export const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(() => (getToken() ? loadUser() : null));

  const forget = useCallback(() => {
    setToken(null);
    saveUser(null);
    setUser(null);
  }, []);

  useEffect(() => onUnauthorized(forget), [forget]);

  // Confirm a remembered session (role may have changed since), without blocking the first paint.
  useEffect(() => {
    if (!getToken()) return;
    let cancelled = false;
    authApi
      .fetchMe()
      .then((me) => {
        if (cancelled || !me?.id) return;
        saveUser(me);
        setUser(me);
      })
      .catch((err: unknown) => {
        if (!cancelled && err instanceof ApiError && err.status === 401) forget();
      });
    return () => {
      cancelled = true;
    };
  }, [forget]);

  const login = useCallback(async (username: string, password: string) => {
    const res = await authApi.login({ username, password });
    setToken(res.token);
    saveUser(res.user);
    setUser(res.user);
    return res.user;
  }, []);

  const signup = useCallback(
    async (username: string, password: string) => {
      await authApi.signup({ username, password });
      return login(username, password);
    },
    [login],
  );

  const logout = useCallback(
    async (everywhere = false) => {
      try {
        if (getToken()) await (everywhere ? authApi.logoutAll() : authApi.logout());
      } catch {
        // the local session ends either way
      } finally {
        forget();
      }
    },
    [forget],
  );

  const value = useMemo<AuthState>(
    () => ({ user, isAdmin: user?.role === 'admin', login, signup, logout }),
    [user, login, signup, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
