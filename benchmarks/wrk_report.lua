-- wrk's --latency prints 50/75/90/99 %; the benchmark also wants p95: print exact percentiles as one line.
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_REPORT {"requests": %d, "duration_us": %d, "status_errors": %d, "p50_us": %.0f, "p90_us": %.0f, "p95_us": %.0f, "p99_us": %.0f}\n',
    summary.requests, summary.duration, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
