import { useEffect, useState } from 'react';
import { useLocation } from '../../../../shared/web/router.tsx';
import { formatTime, ResourceView, StatusBadge, usePolling, Table } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';
import { ServiceMapGraph } from '../serviceMap/ServiceMapGraph.tsx';

export function ServicesPage() {
  const map = usePolling((signal) => api.serviceMap(signal), 3000);
  const services = usePolling((signal) => api.services(signal), 3000);
  const outbox = usePolling((signal) => api.outbox(signal), 5000);
  const [showLogs, setShowLogs] = useState(false);
  const selected = useLocation().query.get('service');
  useEffect(() => {
    if (selected && services.data) document.getElementById(`service-${selected}`)?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  }, [selected, services.data]);
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Service map</h1>
        <span className="muted small">
          Namespace <code>{map.data?.namespace ?? '…'}</code> · refreshes every 3 s
          {map.data?.rateWindowSeconds ? ` · rates over the last ${map.data.rateWindowSeconds.toFixed(0)} s` : ''}
        </span>
      </div>
      <section className="card stack" aria-label="Service map graph">
        <div className="spread">
          <div className="map-legend">
            <span className="legend-service">service (instances ready)</span>
            <span className="legend-topic">Kafka topic (written/s)</span>
            <span className="legend-group">consumer group</span>
            <span className="legend-flow">messages flowing (rate · lag)</span>
          </div>
          <label className="small">
            <input type="checkbox" checked={showLogs} onChange={(e) => setShowLogs(e.target.checked)} /> Show the log topic
          </label>
        </div>
        <ResourceView resource={map} label="Reading discovery and Kafka…">
          {(data) => (
            <>
              {data.kafkaError && (
                <div className="notice notice-error" role="alert">
                  Kafka could not be read ({data.kafkaError}): rates and lag are missing.
                </div>
              )}
              <ServiceMapGraph map={data} showLogs={showLogs} />
              <p className="muted small" style={{ margin: 0 }}>
                Writers come from each topic's declared owner and the discovery records; readers from the consumer groups each instance announces; rates and lag
                from Kafka's offsets. Select a service for its instances, a topic or group for Kafka details.
              </p>
            </>
          )}
        </ResourceView>
      </section>
      <h2>Instances</h2>
      <ResourceView resource={services} label="Reading discovery…">
        {({ services: list }) =>
          list.length === 0 ? (
            <p className="card muted">No service instances are registered.</p>
          ) : (
            <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))' }}>
              {list.map(({ service, instances }) => {
                const ready = instances.filter((i) => i.health === 'ready').length;
                return (
                  <section
                    key={service}
                    id={`service-${service}`}
                    className="card stack"
                    aria-label={`Service ${service}`}
                    style={service === selected ? { outline: '2px solid var(--accent)' } : undefined}
                  >
                    <div className="spread">
                      <h2 style={{ margin: 0 }}>{service}</h2>
                      <span className={`badge ${ready === 0 ? 'badge-down' : ready < instances.length ? 'badge-warn' : 'badge-ok'}`}>
                        {ready}/{instances.length} ready
                      </span>
                    </div>
                    <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} className="stack">
                      {instances.map((i) => (
                        <li key={i.instanceId} className="small">
                          <div className="spread">
                            <span className="mono">{i.instanceId.slice(0, 8)}</span>
                            <StatusBadge status={i.health} />
                          </div>
                          <div className="muted">
                            v{i.version} · API {i.apiVersions.join(', ')} · {i.url}
                          </div>
                          <div className="muted">since {formatTime(i.startedAt)}</div>
                        </li>
                      ))}
                    </ul>
                  </section>
                );
              })}
            </div>
          )
        }
      </ResourceView>
      <h2>Outbox backlog</h2>
      <ResourceView resource={outbox} label="Scraping /metrics…">
        {({ items }) => {
          const withOutbox = items.filter((r) => r.backlog !== undefined || r.error);
          return (
            <Table label="Outbox backlog" columns={['Service', 'Instance', { label: 'Unpublished', num: true }, { label: 'Oldest (s)', num: true }, { label: 'Published', num: true }, { label: 'Publish errors', num: true }]} rows={withOutbox} empty="No instance reports an outbox.">
              {(r) => (
                <tr key={r.instanceId}>
                  <td>{r.service}</td>
                  <td className="mono small">{r.instanceId.slice(0, 8)}</td>
                  <td className="num">{r.error ? <span className="badge badge-bad">{r.error}</span> : <span className={r.backlog ? 'badge badge-warn' : ''}>{r.backlog}</span>}</td>
                  <td className="num">{r.oldestAgeSeconds?.toFixed(1) ?? '—'}</td>
                  <td className="num">{r.published ?? '—'}</td>
                  <td className="num">{r.publishErrors ? <span className="badge badge-bad">{r.publishErrors}</span> : (r.publishErrors ?? '—')}</td>
                </tr>
              )}
            </Table>
          );
        }}
      </ResourceView>
    </div>
  );
}
