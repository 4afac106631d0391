//! What the benchmark reads about the hub and the machine: `/proc/<pid>/status` VmRSS,
//! `/proc/<pid>/stat` CPU time, `/proc/stat` machine CPU, and the hub's `/metrics` counters.

use anyhow::Context;
use serde::Serialize;

/// The resident set size of a process, in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/<pid>/status")
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat
        .rsplit_once(')')
        .context("malformed /proc/<pid>/stat")?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let utime: f64 = fields.get(11).context("no utime")?.parse()?;
    let stime: f64 = fields.get(12).context("no stime")?.parse()?;
    Ok((utime + stime) / clock_ticks_per_second())
}

/// CPU seconds (user + system) used so far by process `root` and its living children (a
/// PostgreSQL postmaster and its backends).
pub fn process_tree_cpu_seconds(root: u32) -> anyhow::Result<f64> {
    let mut total = cpu_seconds(root)?;
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // gone meanwhile
        };
        // After the command name: state, then the parent's pid.
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if parent == Some(root) {
            total += cpu_seconds(pid).unwrap_or(0.0);
        }
    }
    Ok(total)
}

/// Busy and total jiffies of the whole machine (`/proc/stat`, first line).
pub fn machine_cpu() -> anyhow::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Ok((total - idle, total))
}

/// The machine the benchmark ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
    pub open_files_limit: u64,
}

pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    Machine {
        nproc: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        cpu_model,
        memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
        open_files_limit: limit.rlim_cur,
    }
}

/// The hub's Prometheus text, parsed into (name with labels, value) pairs.
#[derive(Debug, Clone, Default)]
pub struct HubMetrics {
    samples: Vec<(String, f64)>,
}

impl HubMetrics {
    pub async fn scrape(http: &reqwest::Client, base: &str) -> anyhow::Result<HubMetrics> {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(HubMetrics::parse(&text))
    }

    /// Prometheus text → samples.
    pub fn parse(text: &str) -> HubMetrics {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.to_string(), value.parse().ok()?))
            })
            .collect();
        HubMetrics { samples }
    }

    /// The sample named exactly `name` (labels included, e.g. `x{kind="agent"}`), or 0.
    pub fn get(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or(0.0)
    }

    pub fn messages_in(&self) -> f64 {
        self.get(r#"presence_hub_messages_in_total{kind="agent"}"#)
            + self.get(r#"presence_hub_messages_in_total{kind="tab"}"#)
    }

    pub fn presence_rows_written(&self) -> f64 {
        self.get("presence_hub_presence_rows_written_total")
    }

    pub fn db_writes(&self) -> f64 {
        self.get("presence_hub_db_write_seconds_count")
    }

    pub fn open(&self, kind: &str) -> f64 {
        self.get(&format!("presence_hub_open_connections{{kind=\"{kind}\"}}"))
    }

    /// The cumulative buckets of histogram `name`: (upper bound in its unit, count), by bound;
    /// `+Inf` last.
    pub fn buckets(&self, name: &str) -> Vec<(f64, f64)> {
        let prefix = format!("{name}_bucket{{le=\"");
        let mut out: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter_map(|(n, v)| {
                let le = n.strip_prefix(&prefix)?.strip_suffix("\"}")?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, *v))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }
}

/// The upper bound of the bucket holding quantile `q` (0–1) of what histogram `name` observed
/// between two scrapes; `None` when it observed nothing in between.
pub fn bucket_quantile(before: &HubMetrics, after: &HubMetrics, name: &str, q: f64) -> Option<f64> {
    let earlier = before.buckets(name);
    let deltas: Vec<(f64, f64)> = after
        .buckets(name)
        .into_iter()
        .map(|(le, n)| {
            let was = earlier
                .iter()
                .find(|(l, _)| *l == le)
                .map(|(_, v)| *v)
                .unwrap_or(0.0);
            (le, n - was)
        })
        .collect();
    let total = deltas.last()?.1;
    if total <= 0.0 {
        return None;
    }
    deltas
        .into_iter()
        .find(|(_, n)| *n >= q * total)
        .map(|(le, _)| le)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag(counts: [u32; 4]) -> HubMetrics {
        HubMetrics::parse(&format!(
            "# TYPE presence_hub_bus_lag_seconds histogram\n\
             presence_hub_bus_lag_seconds_bucket{{le=\"0.005\"}} {}\n\
             presence_hub_bus_lag_seconds_bucket{{le=\"0.01\"}} {}\n\
             presence_hub_bus_lag_seconds_bucket{{le=\"0.1\"}} {}\n\
             presence_hub_bus_lag_seconds_bucket{{le=\"+Inf\"}} {}\n\
             presence_hub_bus_lag_seconds_count {}\n",
            counts[0], counts[1], counts[2], counts[3], counts[3]
        ))
    }

    #[test]
    fn the_quantile_of_what_a_histogram_saw_between_two_scrapes() {
        let name = "presence_hub_bus_lag_seconds";
        let before = lag([100, 100, 100, 100]);
        // 1,000 more: 980 within 5 ms, 15 within 10 ms, 5 within 100 ms.
        let after = lag([1080, 1095, 1100, 1100]);
        assert_eq!(bucket_quantile(&before, &after, name, 0.5), Some(0.005));
        assert_eq!(bucket_quantile(&before, &after, name, 0.99), Some(0.01));
        assert_eq!(bucket_quantile(&before, &after, name, 1.0), Some(0.1));
        assert_eq!(bucket_quantile(&after, &after, name, 0.99), None);
        assert_eq!(after.buckets(name).last(), Some(&(f64::INFINITY, 1100.0)));
    }
}
