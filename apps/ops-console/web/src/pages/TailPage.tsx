import { useEffect, useRef, useState } from 'react';
import { followEvents, type ApiError } from '../../../../shared/web/api.ts';
import { ErrorNotice, formatTime } from '../../../../shared/web/ui.tsx';
import { token, type TailMessage } from '../api.ts';

const keep = 200;

interface Envelope {
  id?: string;
  type?: string;
  version?: number;
  source?: string;
  time?: string;
  data?: unknown;
}

export function TailPage() {
  const [messages, setMessages] = useState<TailMessage[]>([]);
  const [state, setState] = useState('connecting');
  const [error, setError] = useState<ApiError>();
  const [paused, setPaused] = useState(false);
  const [topic, setTopic] = useState('');
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const controller = new AbortController();
    void followEvents(
      '/ops-api/tail',
      token(),
      {
        onEvent(event, data) {
          if (event !== 'event' || pausedRef.current) return;
          const message = data as TailMessage;
          setMessages((list) => (list.some((m) => m.topic === message.topic && m.partition === message.partition && m.offset === message.offset) ? list : [message, ...list].slice(0, keep)));
        },
        onStateChange(next, failure) {
          setState(next);
          setError(failure);
        },
      },
      controller.signal,
    );
    return () => controller.abort();
  }, []);

  const topics = [...new Set(messages.map((m) => m.topic))].sort();
  const shown = topic ? messages.filter((m) => m.topic === topic) : messages;
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Live tail</h1>
        <span className="muted small" role="status">
          {state === 'open' ? (paused ? 'Paused' : 'Streaming business events') : state === 'closed' ? 'Stream closed' : 'Connecting…'}
        </span>
      </div>
      <div className="row">
        <label>
          Topic
          <select value={topic} onChange={(e) => setTopic(e.target.value)}>
            <option value="">All topics</option>
            {topics.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setMessages([])}>
          Clear
        </button>
      </div>
      <ErrorNotice error={error} />
      <div className="table-wrap">
        <table aria-label="Live events">
          <thead>
            <tr>
              <th>Time</th>
              <th>Event</th>
              <th>Topic</th>
              <th>Key</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  Waiting for events… place an order in the storefront to see the saga flow by.
                </td>
              </tr>
            )}
            {shown.map((m) => {
              const envelope = (m.value && typeof m.value === 'object' ? m.value : {}) as Envelope;
              return (
                <tr key={`${m.topic}/${m.partition}/${m.offset}`}>
                  <td className="small">{formatTime(envelope.time ?? m.timestamp)}</td>
                  <td>
                    <details>
                      <summary>
                        <strong>{envelope.type ?? m.headers['event-type'] ?? 'message'}</strong>
                        {envelope.version !== undefined && <span className="muted"> v{envelope.version}</span>}
                      </summary>
                      <pre>{JSON.stringify(envelope.data ?? m.value, null, 2)}</pre>
                    </details>
                  </td>
                  <td className="mono small">{m.topic}</td>
                  <td className="mono small">{m.key}</td>
                  <td className="small">{envelope.source ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
