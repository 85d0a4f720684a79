import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../../../shared/web/base.css';
import { Link, matchPath, useLocation } from '../../../shared/web/router.tsx';
import { ErrorBoundary, LoginForm } from '../../../shared/web/ui.tsx';
import { session } from './api.ts';
import { NotificationsPage } from './pages/NotificationsPage.tsx';
import { OrderDetailPage, OrdersPage } from './pages/OrdersPages.tsx';
import { ProductEditPage } from './pages/ProductEditPage.tsx';
import { ProductsPage } from './pages/ProductsPage.tsx';
import { StockPage } from './pages/StockPage.tsx';

document.documentElement.style.setProperty('--app-accent', '#6d28d9');

function Page({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (path === '/' || path === '/products') return <ProductsPage />;
  if ((params = matchPath('/products/:id', path))) return <ProductEditPage id={params.id === 'new' ? undefined : params.id} />;
  if (path === '/stock') return <StockPage />;
  if (path === '/orders') return <OrdersPage />;
  if ((params = matchPath('/orders/:id', path))) return <OrderDetailPage id={params.id} />;
  if (path === '/notifications') return <NotificationsPage />;
  return (
    <div className="card">
      <h1>Page not found</h1>
      <Link to="/products">Back to products</Link>
    </div>
  );
}

function App() {
  const { path } = useLocation();
  const current = session.use();
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/products" className="brand">
            Meridian Back Office
          </Link>
          {current?.user.role === 'staff' && (
            <nav className="nav" aria-label="Main">
              <Link to="/products">Products</Link>
              <Link to="/stock">Stock</Link>
              <Link to="/orders">Orders</Link>
              <Link to="/notifications">Notifications</Link>
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
            <LoginForm session={session} title="Staff sign in" hint={<p className="muted small">The back office is for Meridian staff.</p>} />
          ) : current.user.role !== 'staff' ? (
            <div className="notice notice-error" role="alert">
              <strong>Staff only.</strong> {current.user.email} is a customer account. Sign out and sign in with a staff account.
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
