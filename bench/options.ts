export interface BenchOptions {
  /** A short smoke run: fewer rounds, shorter durations, smaller counts. */
  quick: boolean;
  /** Run the platform's services under `--cpu-prof` and summarise where their CPU time went. */
  profile: boolean;
  log: (line: string) => void;
}
