export interface BenchOptions {
  /** A short smoke run: fewer rounds, shorter durations, smaller counts. */
  quick: boolean;
  log: (line: string) => void;
}
