// Live mode: follows the store's projection progress (server-sent events) and, on each event,
// invalidates every widget query of the dashboard once, so each widget re-queries at most once
// per projected batch (events arriving while a refetch runs fold into one).
import { useEffect, useState } from "react";
import { useQueryClient, type QueryKey } from "@tanstack/react-query";

export function useLiveMode(url: string | null, dataKey: QueryKey) {
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);
  const keyText = JSON.stringify(dataKey);
  useEffect(() => {
    if (!url) return;
    const queryKey = JSON.parse(keyText) as QueryKey;
    const es = new EventSource(url, { withCredentials: true });
    let pending = false;
    let running = false;
    const run = () => {
      if (running) {
        pending = true;
        return;
      }
      running = true;
      void qc.invalidateQueries({ queryKey }).finally(() => {
        running = false;
        if (pending) {
          pending = false;
          run();
        }
      });
    };
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    es.onmessage = run;
    return () => {
      es.close();
      setConnected(false);
    };
  }, [url, qc, keyText]);
  return connected;
}
