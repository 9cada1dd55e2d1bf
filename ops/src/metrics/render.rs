//! The Prometheus text exposition format, version 0.0.4.

use std::fmt::Write;

use super::{Kind, Labels, Series};

pub(super) fn family(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &Kind,
    series: &[(Labels, Series)],
) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {}", kind.type_name());
    for (labels, series) in series {
        match series {
            Series::Counter(counter) => sample(out, name, labels, None, &counter.get().to_string()),
            Series::Gauge(gauge) => sample(out, name, labels, None, &gauge.get().to_string()),
            Series::Histogram(histogram) => {
                let snap = histogram.snapshot();
                let bucket = format!("{name}_bucket");
                for (bound, count) in snap.bounds.iter().zip(&snap.cumulative) {
                    sample(
                        out,
                        &bucket,
                        labels,
                        Some(&number(*bound)),
                        &count.to_string(),
                    );
                }
                sample(out, &bucket, labels, Some("+Inf"), &snap.count.to_string());
                sample(out, &format!("{name}_sum"), labels, None, &number(snap.sum));
                sample(
                    out,
                    &format!("{name}_count"),
                    labels,
                    None,
                    &snap.count.to_string(),
                );
            }
        }
    }
}

fn sample(out: &mut String, name: &str, labels: &Labels, le: Option<&str>, value: &str) {
    out.push_str(name);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        let le = le.map(|le| ("le", le));
        let pairs = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(le);
        for (i, (key, value)) in pairs.enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{key}=\"{}\"", escape_label_value(value));
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// A float as Prometheus reads it: `+Inf`, `-Inf`, `NaN`, or a plain decimal.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
