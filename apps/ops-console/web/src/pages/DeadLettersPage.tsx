import { useState } from 'react';
import { ErrorNotice, formatTime, ResourceView, useAction, useResource } from '../../../../shared/web/ui.tsx';
import { api, type DeadLetter, type Replayed } from '../api.ts';

function DeadLetterCard({ letter }: { letter: DeadLetter }) {
  const [result, setResult] = useState<Replayed | undefined>(letter.replayed);
  const replay = useAction(async () => setResult(await api.replay(letter)));
  return (
    <li className="card stack" aria-label={`Dead letter ${letter.topic} ${letter.partition}/${letter.offset}`}>
      <div className="spread">
        <strong>
          {letter.eventType || 'Unknown event'} <span className="muted small mono">{letter.topic} · p{letter.partition} · #{letter.offset}</span>
        </strong>
        <span className="muted small">failed {formatTime(letter.failedAt)}</span>
      </div>
      <p className="notice notice-error" style={{ margin: 0 }}>
        <strong>Reason:</strong> <span data-testid="dlq-reason">{letter.reason || 'not recorded'}</span>
      </p>
      <dl className="facts small">
        <dt>Key</dt>
        <dd className="mono">{letter.key || '—'}</dd>
        <dt>Consumer</dt>
        <dd className="mono">{letter.consumer || '—'}</dd>
        <dt>Original</dt>
        <dd className="mono">
          {letter.originalTopic} · p{letter.originalPartition} · #{letter.originalOffset}
        </dd>
        {letter.eventId && (
          <>
            <dt>Event id</dt>
            <dd className="mono">{letter.eventId}</dd>
          </>
        )}
      </dl>
      <details>
        <summary className="small">Message and headers</summary>
        <pre>{typeof letter.value === 'string' ? letter.value : JSON.stringify(letter.value, null, 2)}</pre>
        <pre>{JSON.stringify(letter.headers, null, 2)}</pre>
      </details>
      <div className="row">
        <button type="button" className="button-primary" onClick={() => void replay.run()} disabled={replay.busy || !letter.originalTopic}>
          {replay.busy ? 'Replaying…' : result ? 'Replay again' : 'Replay'}
        </button>
        {result && (
          <span className="notice notice-ok small" role="status">
            Replayed to {result.topic} · p{result.partition} · #{result.offset} at {formatTime(result.at)}
          </span>
        )}
      </div>
      <ErrorNotice error={replay.error} />
    </li>
  );
}

export function DeadLettersPage() {
  const letters = useResource((signal) => api.deadLetters(signal), []);
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Dead letters</h1>
        <button type="button" onClick={letters.reload} disabled={letters.loading}>
          {letters.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <label>
        Filter by key, event type, reason or consumer
        <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </label>
      <ResourceView resource={letters} label="Reading dead-letter topics…">
        {({ items }) => {
          const shown = needle
            ? items.filter((l) => [l.key, l.eventType, l.reason, l.consumer, l.topic].some((text) => text.toLowerCase().includes(needle)))
            : items;
          return shown.length === 0 ? (
            <p className="card muted">{items.length === 0 ? 'No dead letters. Every message was handled.' : 'No dead letter matches the filter.'}</p>
          ) : (
            <ul className="stack" style={{ listStyle: 'none', padding: 0 }} aria-label="Dead letters">
              {shown.map((letter) => (
                <DeadLetterCard key={`${letter.topic}/${letter.partition}/${letter.offset}`} letter={letter} />
              ))}
            </ul>
          );
        }}
      </ResourceView>
    </div>
  );
}
