import { ResourceView, usePolling, Table } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';

export function KafkaPage() {
  const kafka = usePolling((signal) => api.kafka(signal), 5000);
  return (
    <div className="stack">
      <h1>Kafka</h1>
      <ResourceView resource={kafka} label="Reading Kafka…">
        {({ topics, groups }) => (
          <>
            <h2>Topics</h2>
            <Table label="Topics" columns={['Topic', { label: 'Partitions', num: true }, { label: 'Retained messages', num: true }, { label: 'Written (end offsets)', num: true }]} rows={topics}>
              {(t) => (
                <tr key={t.name}>
                  <td className="mono">
                    {t.name} {t.deadLetter && <span className={`badge ${t.messages > 0 ? 'badge-bad' : ''}`}>DLQ</span>}
                  </td>
                  <td className="num">{t.partitions}</td>
                  <td className="num">{t.messages}</td>
                  <td className="num">{t.endOffset}</td>
                </tr>
              )}
            </Table>
            <h2>Consumer groups</h2>
            <Table label="Consumer groups" columns={['Group', 'State', { label: 'Members', num: true }, 'Lag per topic', { label: 'Total lag', num: true }]} rows={groups} empty="No consumer groups.">
              {(g) => (
                <tr key={g.groupId}>
                  <td className="mono">{g.groupId}</td>
                  <td>{g.state}</td>
                  <td className="num">{g.members}</td>
                  <td className="small">
                    {g.topics.length === 0 ? (
                      <span className="muted">no committed offsets</span>
                    ) : (
                      g.topics.map((t) => (
                        <div key={t.topic}>
                          <span className="mono">{t.topic}</span>: {t.lag}
                        </div>
                      ))
                    )}
                  </td>
                  <td className="num">
                    <span className={`badge ${g.totalLag > 0 ? 'badge-warn' : 'badge-ok'}`}>{g.totalLag}</span>
                  </td>
                </tr>
              )}
            </Table>
          </>
        )}
      </ResourceView>
    </div>
  );
}
