import '../../../shared/web/base.css';
import { Link, matchPath } from '../../../shared/web/router.tsx';
import { mountApp, StaffApp } from '../../../shared/web/shell.tsx';
import { session } from './api.ts';
import { NotificationsPage } from './pages/NotificationsPage.tsx';
import { OrderDetailPage, OrdersPage } from './pages/OrdersPages.tsx';
import { ProductEditPage } from './pages/ProductEditPage.tsx';
import { ProductsPage } from './pages/ProductsPage.tsx';
import { StockPage } from './pages/StockPage.tsx';

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
  return (
    <StaffApp
      brand="Meridian Back Office"
      home="/products"
      links={[
        { to: '/products', label: 'Products' },
        { to: '/stock', label: 'Stock' },
        { to: '/orders', label: 'Orders' },
        { to: '/notifications', label: 'Notifications' },
      ]}
      session={session}
      signIn={{ title: 'Staff sign in', hint: 'The back office is for Meridian staff.' }}
      customerNotice={(email) => `${email} is a customer account. Sign out and sign in with a staff account.`}
      page={(path) => <Page path={path} />}
    />
  );
}

mountApp(App, '#6d28d9');
