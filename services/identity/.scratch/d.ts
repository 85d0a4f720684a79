import { demoCatalog } from '../../catalog/src/seed/demoCatalog.ts';
const c = demoCatalog(); console.log(c.length, new Set(c.map(p=>p.sku)).size); console.log(c.slice(0,3), c[200], c[399]);
