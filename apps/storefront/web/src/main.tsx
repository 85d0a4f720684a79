import { useEffect } from 'react';
import '../../../shared/web/base.css';
import './storefront.css';
import { Link, matchPath, navigate, useLocation } from '../../../shared/web/router.tsx';
import { mountApp, PageArea, TopBar } from '../../../shared/web/shell.tsx';
import { session } from './api.ts';
import { cart, refreshCart, useCartLines } from './cart.ts';
import { CartPage } from './pages/CartPage.tsx';
import { CatalogPage } from './pages/CatalogPage.tsx';
import { LoginPage, SignupPage } from './pages/AccountPages.tsx';
import { OrderPage } from './pages/OrderPage.tsx';
import { OrdersPage } from './pages/OrdersPage.tsx';
import { ProductPage } from './pages/ProductPage.tsx';

function Page({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (path === '/') return <CatalogPage />;
  if ((params = matchPath('/products/:id', path))) return <ProductPage id={params.id} />;
  if (path === '/cart') return <CartPage />;
  if (path === '/orders') return <OrdersPage />;
  if ((params = matchPath('/orders/:id', path))) return <OrderPage id={params.id} />;
  if (path === '/login') return <LoginPage />;
  if (path === '/signup') return <SignupPage />;
  return (
    <div className="card">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Back to the shop</Link>
      </p>
    </div>
  );
}

function App() {
  const { path } = useLocation();
  const current = session.use();
  const lines = useCartLines();
  const count = lines.reduce((sum, line) => sum + line.quantity, 0);
  useEffect(() => {
    if (current) refreshCart().catch(() => undefined);
    else cart.forget();
  }, [current?.token]);

  return (
    <>
      <TopBar brand="Meridian Shop" home="/">
        <nav className="nav" aria-label="Main">
          <Link to="/">Catalog</Link>
          {current && <Link to="/orders">My orders</Link>}
          <Link to="/cart" aria-label={`Cart, ${count} item${count === 1 ? '' : 's'}`}>
            Cart <span className="cart-count">{count}</span>
          </Link>
        </nav>
        <div className="account">
          {current ? (
            <>
              <span className="account-email">{current.user.email}</span>
              <button
                type="button"
                onClick={() => {
                  session.logout();
                  navigate('/');
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <>
              <Link to="/login">Sign in</Link>
              <Link to="/signup">Create account</Link>
            </>
          )}
        </div>
      </TopBar>
      <PageArea path={path}>
        <Page path={path} />
      </PageArea>
    </>
  );
}

mountApp(App);
