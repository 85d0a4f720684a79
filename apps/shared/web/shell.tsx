// The frame every web app shares: the top bar, the page area that catches a crashing page, and the
// mount call; and the whole frame of a staff app (sign-in first, customers turned away).
import { type ComponentType, type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Link, useLocation } from './router.tsx';
import type { SessionStore } from './session.ts';
import { ErrorBoundary, LoginForm } from './ui.tsx';

/** Renders `App` into `#root`, with the app's accent colour when given (else its stylesheet's). */
export function mountApp(App: ComponentType, accent?: string): void {
  if (accent) document.documentElement.style.setProperty('--app-accent', accent);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

export function TopBar({ brand, home, children }: { brand: string; home: string; children?: ReactNode }) {
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link to={home} className="brand">
          {brand}
        </Link>
        {children}
      </div>
    </header>
  );
}

/** The page area; a page that throws shows an error instead of a blank app, and the next page starts afresh. */
export function PageArea({ path, children }: { path: string; children: ReactNode }) {
  return (
    <main>
      <ErrorBoundary key={path}>{children}</ErrorBoundary>
    </main>
  );
}

/** A staff-only app: its navigation once a staff member signed in, a sign-in form before, a notice for customers. */
export function StaffApp(props: {
  brand: string;
  home: string;
  links: { to: string; label: string }[];
  session: SessionStore;
  signIn: { title: string; hint: string };
  customerNotice: (email: string) => string;
  page: (path: string) => ReactNode;
}) {
  const { path } = useLocation();
  const current = props.session.use();
  const staff = current?.user.role === 'staff';
  return (
    <>
      <TopBar brand={props.brand} home={props.home}>
        {staff && (
          <nav className="nav" aria-label="Main">
            {props.links.map((link) => (
              <Link key={link.to} to={link.to}>
                {link.label}
              </Link>
            ))}
          </nav>
        )}
        {current && (
          <div className="account">
            <span>{current.user.email}</span>
            <button type="button" onClick={props.session.logout}>
              Sign out
            </button>
          </div>
        )}
      </TopBar>
      <PageArea path={path}>
        {!current ? (
          <LoginForm session={props.session} title={props.signIn.title} hint={<p className="muted small">{props.signIn.hint}</p>} />
        ) : !staff ? (
          <div className="notice notice-error" role="alert">
            <strong>Staff only.</strong> {props.customerNotice(current.user.email)}
          </div>
        ) : (
          props.page(path)
        )}
      </PageArea>
    </>
  );
}
