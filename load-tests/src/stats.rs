//! Latency and throughput bookkeeping, and the CPU / memory readings of the processes that share
//! the machine (from /proc), so every figure comes with its CPU split.
use std::collections::BTreeMap;
use std::time::Duration;

/// Latencies (µs) and outcomes of one kind of request.
#[derive(Default, Clone)]
pub struct Recorder {
    pub lat_us: Vec<u32>,
    pub requests: u64,
    /// Statements carried (writes) or returned (reads).
    pub items: u64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
}

impl Recorder {
    pub fn ok(&mut self, latency: Duration, items: u64) {
        self.lat_us
            .push(latency.as_micros().min(u32::MAX as u128) as u32);
        self.requests += 1;
        self.items += items;
    }

    pub fn error(&mut self, kind: String) {
        self.requests += 1;
        self.errors += 1;
        *self.error_kinds.entry(kind).or_default() += 1;
    }

    pub fn merge(&mut self, other: Recorder) {
        self.lat_us.extend(other.lat_us);
        self.requests += other.requests;
        self.items += other.items;
        self.errors += other.errors;
        for (k, v) in other.error_kinds {
            *self.error_kinds.entry(k).or_default() += v;
        }
    }

    /// One line: throughput, latency percentiles (p50, p95, p99, p99.9, max; ms), errors.
    pub fn report(&mut self, name: &str, elapsed: Duration, item: &str) -> String {
        self.lat_us.sort_unstable();
        let secs = elapsed.as_secs_f64();
        let pct = |p: f64| -> f64 {
            if self.lat_us.is_empty() {
                return 0.0;
            }
            let i = ((self.lat_us.len() as f64 * p).ceil() as usize).clamp(1, self.lat_us.len());
            self.lat_us[i - 1] as f64 / 1000.0
        };
        let mut line = format!(
            "{name:<22} {:>10.0} {item}/s {:>9.0} req/s  p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  p99.9 {:>8.2} ms  max {:>8.2} ms  errors {}",
            self.items as f64 / secs,
            self.requests as f64 / secs,
            pct(0.50),
            pct(0.95),
            pct(0.99),
            pct(0.999),
            pct(1.0),
            self.errors,
        );
        if !self.error_kinds.is_empty() {
            line.push_str(&format!(" {:?}", self.error_kinds));
        }
        line
    }
}

/// Percentile of an unsorted sample (sorted in place), in the sample's unit.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len());
    v[i - 1]
}

/// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Busy and total CPU seconds of the whole machine, from /proc/stat.
pub fn machine_cpu() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: f64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some(((total - idle) / 100.0, total / 100.0))
}

/// Resident and peak-resident memory of a process in MiB, from /proc/<pid>/status.
pub fn rss_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU used by each class of process (the server, ClickHouse, cluster nodes, nats-servers…),
/// the generator and everything else over a window.
pub struct CpuWindow {
    /// Class name, its processes and their CPU seconds at the start.
    classes: Vec<(String, Vec<u32>, f64)>,
    machine: Option<(f64, f64)>,
}

impl CpuWindow {
    /// A window over the named classes of processes; the generator is added as `loadgen`.
    pub fn classes(mut classes: Vec<(String, Vec<u32>)>) -> Self {
        classes.push(("loadgen".into(), vec![std::process::id()]));
        let classes = classes
            .into_iter()
            .map(|(name, pids)| {
                let used = Self::sum(&pids);
                (name, pids, used)
            })
            .collect();
        CpuWindow {
            classes,
            machine: machine_cpu(),
        }
    }

    fn sum(pids: &[u32]) -> f64 {
        pids.iter().filter_map(|p| cpu_seconds(*p)).sum()
    }

    /// CPU seconds each class used since the start, in the order given (`loadgen` last).
    pub fn used(&self) -> Vec<(String, f64)> {
        self.classes
            .iter()
            .map(|(name, pids, before)| (name.clone(), (Self::sum(pids) - before).max(0.0)))
            .collect()
    }

    /// "CPU split (cores): server 1.10, clickhouse 0.40, loadgen 0.30, other 0.05; machine busy
    /// 1.85 of 2".
    pub fn report(&self, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64();
        let mut parts = Vec::new();
        let mut ours = 0.0;
        for (name, used) in self.used() {
            let cores = used / secs;
            ours += cores;
            parts.push(format!("{name} {cores:.2}"));
        }
        let mut line = format!("CPU split (cores): {}", parts.join(", "));
        if let (Some((b0, t0)), Some((b1, t1))) = (self.machine, machine_cpu()) {
            let ncpu = ((t1 - t0) / secs).round();
            let busy = (b1 - b0) / secs;
            line.push_str(&format!(
                ", other {:.2}; machine busy {busy:.2} of {ncpu:.0}",
                (busy - ours).max(0.0)
            ));
        }
        line
    }
}
