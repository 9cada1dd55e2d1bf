//! What the benchmark reads of a process from `/proc`: CPU time and memory; and number
//! formatting for its result lines.

use std::time::Instant;

/// A process's CPU time and memory at one moment, from `/proc`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub at: Instant,
    pub cpu_seconds: f64,
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
}

impl Sample {
    /// CPU seconds per second since `earlier`, in percent of one core.
    pub fn cpu_percent_since(&self, earlier: &Sample) -> f64 {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        (self.cpu_seconds - earlier.cpu_seconds) / wall.max(1e-9) * 100.0
    }
}

pub(crate) fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

fn kib(status: &str, field: &str) -> Option<f64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

pub(crate) fn sample(pid: u32, ticks: f64) -> anyhow::Result<Sample> {
    let at = Instant::now();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|error| anyhow::anyhow!("reading /proc/{pid}/status: {error}"))?;
    let (rss, peak) = kib(&status, "VmRSS:")
        .zip(kib(&status, "VmHWM:"))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS or VmHWM in /proc/{pid}/status"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields are counted after the command name's closing parenthesis (the name may hold
    // spaces), where field 3 (state) comes first; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let tick = |index: usize| -> anyhow::Result<f64> {
        let text = fields
            .get(index)
            .ok_or_else(|| anyhow::anyhow!("short /proc/{pid}/stat"))?;
        Ok(text.parse::<f64>()?)
    };
    Ok(Sample {
        at,
        cpu_seconds: (tick(11)? + tick(12)?) / ticks,
        rss_mib: rss / 1024.0,
        peak_rss_mib: peak / 1024.0,
    })
}

/// `1,234,567`.
pub(crate) fn grouped(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
