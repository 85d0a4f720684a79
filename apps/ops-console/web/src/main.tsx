import '../../../shared/web/base.css';
import { Link } from '../../../shared/web/router.tsx';
import { mountApp, StaffApp } from '../../../shared/web/shell.tsx';
import { session } from './api.ts';
import { DashboardsPage } from './dashboards/DashboardsPage.tsx';
import { AlertsPage } from './pages/AlertsPage.tsx';
import { OverviewPage } from './pages/OverviewPage.tsx';
import { DeadLettersPage } from './pages/DeadLettersPage.tsx';
import { KafkaPage } from './pages/KafkaPage.tsx';
import { LogsPage } from './pages/LogsPage.tsx';
import { ServicesPage } from './pages/ServicesPage.tsx';
import { TailPage } from './pages/TailPage.tsx';

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
  return (
    <StaffApp
      brand="Meridian Ops"
      home="/"
      links={[
        { to: '/', label: 'Overview' },
        { to: '/services', label: 'Services' },
        { to: '/dashboards', label: 'Dashboards' },
        { to: '/kafka', label: 'Kafka' },
        { to: '/dead-letters', label: 'Dead letters' },
        { to: '/tail', label: 'Live tail' },
        { to: '/logs', label: 'Logs' },
        { to: '/alerts', label: 'Alerts' },
      ]}
      session={session}
      signIn={{ title: 'Operator sign in', hint: 'Sign in with a staff account.' }}
      customerNotice={() => 'Sign out and sign in with a staff account.'}
      page={(path) => <Page path={path} />}
    />
  );
}

mountApp(App, '#c2410c');
