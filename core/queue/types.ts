/** The queue as the queue view shows it: what runs, what waits (in order), paused or not. */
export interface QueueItem {
  id: string;
  status: "queued" | "running";
  graphId: string | null;
  graphName: string | null;
  versionNumber: number | null;
  label: string | null;
  priority: number;
  batchIndex: number | null;
  sweepId: string | null;
  createdAt: string;
  startedAt: string | null;
  /** 0-based place among the queued runs (null while running). */
  position: number | null;
}

export interface QueueState {
  paused: boolean;
  concurrency: number;
  running: QueueItem[];
  /** In the order they will run (the first 500). */
  queued: QueueItem[];
  /** All queued runs. */
  length: number;
}
