// How a log line's parts look, shared with the back office's order timeline. No side effects on import.

/** Distinct hues for the platform's services; any other name gets one derived from it. */
const hues: Record<string, number> = {
  gateway: 215,
  identity: 280,
  catalog: 35,
  inventory: 145,
  orders: 0,
  payments: 185,
  notifications: 320,
  logging: 60,
  storefront: 255,
  backoffice: 100,
  'ops-console': 20,
};

function hueOf(service: string): number {
  if (service in hues) return hues[service];
  let hash = 0;
  for (const char of service) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

/** Text, background and accent colours that tell one service's lines from another's. */
export function serviceColors(service: string): { color: string; background: string; accent: string } {
  const hue = hueOf(service);
  return { color: `hsl(${hue} 65% 30%)`, background: `hsl(${hue} 70% 94%)`, accent: `hsl(${hue} 55% 55%)` };
}

export function ServiceTag({ service }: { service: string }) {
  const { color, background, accent } = serviceColors(service);
  return (
    <span className="badge" style={{ color, background, borderLeft: `4px solid ${accent}` }}>
      {service}
    </span>
  );
}

export function LevelBadge({ level }: { level: string }) {
  const tone = level === 'error' || level === 'fatal' ? ' badge-bad' : level === 'warn' ? ' badge-warn' : '';
  return <span className={`badge${tone}`}>{level}</span>;
}

/** Date and time to the millisecond: lines of one trace are often a few ms apart. */
export function formatLogTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  return `${date.toLocaleDateString()} ${date.toLocaleTimeString([], { hour12: false })}.${ms}`;
}

/** The facts that tell similar lines apart: `POST /api/v1/orders → 202`, an event type, an outcome. */
export function lineSummary(data: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof data.method === 'string' && typeof data.url === 'string') {
    parts.push(`${data.method} ${data.url}${data.statusCode === undefined ? '' : ` → ${data.statusCode}`}`);
  }
  for (const key of ['type', 'outcome', 'status', 'reason']) {
    const value = data[key];
    if (typeof value === 'string' || typeof value === 'number') parts.push(String(value));
  }
  return parts.join(' · ');
}
