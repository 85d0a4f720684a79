import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../../../shared/web/base.css';
import { Link, useLocation } from '../../../shared/web/router.tsx';
import { ErrorBoundary, LoginForm } from '../../../shared/web/ui.tsx';
import { session } from './api.ts';
import { DashboardsPage } from './dashboards/DashboardsPage.tsx';
import { AlertsPage } from './pages/AlertsPage.tsx';
import { OverviewPage } from './pages/OverviewPage.tsx';
import { DeadLettersPage } from './pages/DeadLettersPage.tsx';
import { KafkaPage } from './pages/KafkaPage.tsx';
import { LogsPage } from './pages/LogsPage.tsx';
import { ServicesPage } from './pages/ServicesPage.tsx';
import { TailPage } from './pages/TailPage.tsx';

document.documentElement.style.setProperty('--app-accent', '#c2410c');

function Page({ path }: { path: string }) {
  if (path === '/') return <OverviewPage />;
  if (path === '/services') return <ServicesPage />;
  if (path === '/kafka') return <KafkaPage />;
  if (path === '/dead-letters') return <DeadLettersPage />;
  if (path === '/tail') return <TailPage />;
  if (path === '/logs') return <LogsPage />;
  if (path === '/alerts') return <AlertsPage />;
  if (path === '/dashboards') return <DashboardsPage />;
  return (
    <div className="card">
      <h1>Page not found</h1>
      <Link to="/">Back to the overview</Link>
    </div>
  );
}

function App() {
  const { path } = useLocation();
  const current = session.use();
  const staff = current?.user.role === 'staff';
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            Meridian Ops
          </Link>
          {staff && (
            <nav className="nav" aria-label="Main">
              <Link to="/">Overview</Link>
              <Link to="/services">Services</Link>
              <Link to="/dashboards">Dashboards</Link>
              <Link to="/kafka">Kafka</Link>
              <Link to="/dead-letters">Dead letters</Link>
              <Link to="/tail">Live tail</Link>
              <Link to="/logs">Logs</Link>
              <Link to="/alerts">Alerts</Link>
            </nav>
          )}
          {current && (
            <div className="account">
              <span>{current.user.email}</span>
              <button type="button" onClick={session.logout}>
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      <main>
        <ErrorBoundary key={path}>
          {!current ? (
            <LoginForm session={session} title="Operator sign in" hint={<p className="muted small">Sign in with a staff account.</p>} />
          ) : !staff ? (
            <div className="notice notice-error" role="alert">
              <strong>Staff only.</strong> Sign out and sign in with a staff account.
            </div>
          ) : (
            <Page path={path} />
          )}
        </ErrorBoundary>
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
