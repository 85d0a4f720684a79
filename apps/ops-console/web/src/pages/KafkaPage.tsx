import { ResourceView, usePolling } from '../../../../shared/web/ui.tsx';
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
            <div className="table-wrap">
              <table aria-label="Topics">
                <thead>
                  <tr>
                    <th>Topic</th>
                    <th className="num">Partitions</th>
                    <th className="num">Retained messages</th>
                    <th className="num">Written (end offsets)</th>
                  </tr>
                </thead>
                <tbody>
                  {topics.map((t) => (
                    <tr key={t.name}>
                      <td className="mono">
                        {t.name} {t.deadLetter && <span className={`badge ${t.messages > 0 ? 'badge-bad' : ''}`}>DLQ</span>}
                      </td>
                      <td className="num">{t.partitions}</td>
                      <td className="num">{t.messages}</td>
                      <td className="num">{t.endOffset}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h2>Consumer groups</h2>
            <div className="table-wrap">
              <table aria-label="Consumer groups">
                <thead>
                  <tr>
                    <th>Group</th>
                    <th>State</th>
                    <th className="num">Members</th>
                    <th>Lag per topic</th>
                    <th className="num">Total lag</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.length === 0 && (
                    <tr>
                      <td colSpan={5} className="muted">
                        No consumer groups.
                      </td>
                    </tr>
                  )}
                  {groups.map((g) => (
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
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </ResourceView>
    </div>
  );
}
