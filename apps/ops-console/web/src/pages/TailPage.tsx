import { useEffect, useRef, useState } from 'react';
import { followEvents, type ApiError } from '../../../../shared/web/api.ts';
import { ErrorNotice, formatTime, Table } from '../../../../shared/web/ui.tsx';
import { token, type TailMessage } from '../api.ts';
import { LevelBadge, ServiceTag } from '../logLine.tsx';

const keep = 200;

interface Envelope {
  id?: string;
  type?: string;
  version?: number;
  source?: string;
  time?: string;
  data?: unknown;
}

/** A pino line as the services ship it to the log topic. */
interface LogLine {
  level?: string;
  time?: number | string;
  service?: string;
  msg?: string;
}

type Row = TailMessage & { kind: 'event' | 'log' };
const rowKey = (m: TailMessage) => `${m.topic}/${m.partition}/${m.offset}`;

export function TailPage() {
  const [messages, setMessages] = useState<Row[]>([]);
  const [withLogs, setWithLogs] = useState(false);
  const [state, setState] = useState('connecting');
  const [error, setError] = useState<ApiError>();
  const [paused, setPaused] = useState(false);
  const [topic, setTopic] = useState('');
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    const controller = new AbortController();
    void followEvents(
      withLogs ? '/ops-api/tail?logs=true' : '/ops-api/tail',
      token(),
      {
        onEvent(event, data) {
          if ((event !== 'event' && event !== 'log') || pausedRef.current) return;
          const message = { ...(data as TailMessage), kind: event } as Row;
          // Each once: the backlog sent on (re)connect repeats events already shown.
          setMessages((list) => (list.some((m) => rowKey(m) === rowKey(message)) ? list : [message, ...list].slice(0, keep)));
        },
        onStateChange(next, failure) {
          setState(next);
          setError(failure);
        },
      },
      controller.signal,
    );
    return () => controller.abort();
  }, [withLogs]);

  const visible = withLogs ? messages : messages.filter((m) => m.kind === 'event');
  const topics = [...new Set(visible.map((m) => m.topic))].sort();
  const shown = topic ? visible.filter((m) => m.topic === topic) : visible;
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Live tail</h1>
        <span className="muted small" role="status">
          {state === 'open' ? (paused ? 'Paused' : withLogs ? 'Streaming business events and log lines' : 'Streaming business events') : state === 'closed' ? 'Stream closed' : 'Connecting…'}
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
        <label>
          <input type="checkbox" checked={withLogs} onChange={(e) => setWithLogs(e.target.checked)} /> Platform log lines
        </label>
        <button type="button" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setMessages([])}>
          Clear
        </button>
      </div>
      <ErrorNotice error={error} />
      <Table label="Live events" columns={['Time', 'Event', 'Topic', 'Key', 'Source']} rows={shown} empty="Waiting for events… place an order in the storefront to see the saga flow by.">
        {(m) => (m.kind === 'log' ? <LogRow key={rowKey(m)} message={m} /> : <EventRow key={rowKey(m)} message={m} />)}
      </Table>
    </div>
  );
}

function EventRow({ message: m }: { message: TailMessage }) {
  const envelope = (m.value && typeof m.value === 'object' ? m.value : {}) as Envelope;
  return (
    <tr>
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
}

function LogRow({ message: m }: { message: TailMessage }) {
  const line = (m.value && typeof m.value === 'object' ? m.value : { msg: String(m.value) }) as LogLine;
  const time = typeof line.time === 'number' ? new Date(line.time).toISOString() : (line.time ?? m.timestamp);
  return (
    <tr className="tail-log">
      <td className="small">{formatTime(time)}</td>
      <td>
        <details>
          <summary>
            <LevelBadge level={line.level ?? 'info'} /> {line.msg ?? ''}
          </summary>
          <pre>{JSON.stringify(m.value, null, 2)}</pre>
        </details>
      </td>
      <td className="mono small">{m.topic}</td>
      <td className="mono small">{m.key}</td>
      <td className="small">{line.service ? <ServiceTag service={line.service} /> : ''}</td>
    </tr>
  );
}
