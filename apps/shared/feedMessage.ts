// A Kafka record as the web app servers stream it to browsers (types only: the Node servers and the
// Vite builds each erase the import).
export interface FeedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  timestamp: string;
  headers: Record<string, string>;
  /** The record value, parsed as JSON when it is JSON (event envelopes are), else the text. */
  value: unknown;
}
