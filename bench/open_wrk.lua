-- wrk script for bench/bench_open.sh: one line of key=value figures at the
-- end (wrk's own --latency table has no 95th percentile). Latencies in ms.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk_result requests=%d seconds=%.3f rps=%.2f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f" ..
    " max_ms=%.2f non2xx=%d timeouts=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.timeout,
    e.connect + e.read + e.write))
end
