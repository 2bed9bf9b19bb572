import { Suspense, useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth/useAuth';
import { useOnline } from '../lib/useOnline';
import { ErrorBoundary } from './ErrorBoundary';
import { Loading } from './ui';

export function Layout() {
  const { user, isAdmin, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const online = useOnline();

  // Close the narrow-screen menu and move focus to the new page on navigation (not on the first load,
  // where focus starts at the top of the document as usual).
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    setMenuOpen(false);
    if (location.pathname === firstPath.current) return;
    firstPath.current = '';
    mainRef.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  const onLogout = async () => {
    await logout();
    navigate('/login');
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="FLMnCHLL home">
          <img src="/icons/icon.svg" alt="" width={28} height={28} />
          <span>FLMnCHLL</span>
        </NavLink>
        {user && (
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
        )}
        {user && (
          <nav id="main-nav" className={`nav ${menuOpen ? 'open' : ''}`} aria-label="Main">
            <NavLink to="/" end>
              Library
            </NavLink>
            <NavLink to="/rooms">Rooms</NavLink>
            {isAdmin && <NavLink to="/admin/upload">Upload</NavLink>}
            {isAdmin && <NavLink to="/admin/content">Processing</NavLink>}
            {isAdmin && <NavLink to="/admin/users">Users</NavLink>}
            {isAdmin && <NavLink to="/admin/dashboard">Dashboard</NavLink>}
            {isAdmin && <NavLink to="/admin/status">Status</NavLink>}
            <NavLink to="/account" className="nav-user" title="Your account">
              {user.username}
            </NavLink>
            <button type="button" className="link-button" onClick={onLogout}>
              Log out
            </button>
          </nav>
        )}
      </header>
      {!online && (
        <div className="offline-banner" role="status">
          You are offline. Videos, rooms and changes need a connection.
        </div>
      )}
      <main id="main" ref={mainRef} tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
