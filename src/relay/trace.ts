import type { Store, TraceInput } from '../store/port.ts'

/** Writes one trace row per attempt; the API shows them under GET /v1/messages/{id}. */
export interface Tracer {
  record(trace: Omit<TraceInput, 'durationMs' | 'processId'>): Promise<void>
}

export function createTracer(store: Store, processId: string): Tracer {
  return {
    record: (trace) => store.traces.append({ ...trace, durationMs: Date.now() - trace.startedAt, processId }),
  }
}
