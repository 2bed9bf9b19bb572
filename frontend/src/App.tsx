import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AuthProvider } from './auth/AuthContext';
import { Layout } from './components/Layout';
import { RequireAuth } from './components/RequireAuth';
import { Loading } from './components/ui';
import { LoginPage } from './pages/LoginPage';
import { SignupPage } from './pages/SignupPage';
import { LibraryPage } from './pages/LibraryPage';
import { NotFoundPage } from './pages/NotFoundPage';

const ItemPage = lazy(() => import('./pages/ItemPage'));
const WatchPage = lazy(() => import('./pages/WatchPage'));
const RoomsPage = lazy(() => import('./pages/RoomsPage'));
const RoomPage = lazy(() => import('./pages/room/RoomPage'));
const AccountPage = lazy(() => import('./pages/AccountPage'));
const UploadPage = lazy(() => import('./pages/admin/UploadPage'));
const ContentAdminPage = lazy(() => import('./pages/admin/ContentAdminPage'));
const ContentEditPage = lazy(() => import('./pages/admin/ContentEditPage'));
const UsersPage = lazy(() => import('./pages/admin/UsersPage'));
const DashboardPage = lazy(() => import('./pages/admin/DashboardPage'));
const StatusPage = lazy(() => import('./pages/admin/StatusPage'));

function authed(element: ReactNode, admin = false) {
  return <RequireAuth admin={admin}>{element}</RequireAuth>;
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route element={<Layout />}>
              <Route path="/login" element={<LoginPage />} />
              <Route path="/signup" element={<SignupPage />} />
              <Route path="/" element={authed(<LibraryPage />)} />
              <Route path="/content/:id" element={authed(<ItemPage />)} />
              <Route path="/watch/:id" element={authed(<WatchPage />)} />
              <Route path="/rooms" element={authed(<RoomsPage />)} />
              <Route path="/rooms/:roomId" element={authed(<RoomPage />)} />
              <Route path="/account" element={authed(<AccountPage />)} />
              <Route path="/admin/upload" element={authed(<UploadPage />, true)} />
              <Route path="/admin/content" element={authed(<ContentAdminPage />, true)} />
              <Route path="/admin/content/:id" element={authed(<ContentEditPage />, true)} />
              <Route path="/admin/users" element={authed(<UsersPage />, true)} />
              <Route path="/admin/dashboard" element={authed(<DashboardPage />, true)} />
              <Route path="/admin/status" element={authed(<StatusPage />, true)} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </AuthProvider>
  );
}
