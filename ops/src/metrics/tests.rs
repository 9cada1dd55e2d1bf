use std::time::Duration;

use super::*;

#[test]
fn an_empty_registry_renders_nothing() {
    assert_eq!(Metrics::new().render(), "");
}

#[test]
fn counters_and_gauges_render_with_help_and_type() {
    let metrics = Metrics::new();
    metrics.counter("jobs_total", "Jobs done.").inc_by(3);
    let gauge = metrics.gauge("queue_depth", "Items waiting.");
    gauge.set(10);
    gauge.dec();
    assert_eq!(
        metrics.render(),
        "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 3\n\
         # HELP queue_depth Items waiting.\n# TYPE queue_depth gauge\nqueue_depth 9\n"
    );
}

#[test]
fn registering_the_same_series_twice_shares_it_across_clones() {
    let metrics = Metrics::new();
    let clone = metrics.clone();
    metrics
        .counter_with("http_requests_total", "Requests.", &[("route", "/a")])
        .inc();
    clone
        .counter_with("http_requests_total", "Requests.", &[("route", "/a")])
        .inc();
    clone
        .counter_with("http_requests_total", "Requests.", &[("route", "/b")])
        .inc();
    let text = metrics.render();
    assert!(
        text.contains("http_requests_total{route=\"/a\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("http_requests_total{route=\"/b\"} 1\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("# TYPE http_requests_total counter").count(),
        1
    );
}

#[test]
fn histograms_render_cumulative_buckets_sum_and_count() {
    let metrics = Metrics::new();
    let h = metrics.histogram_with(
        "http_request_duration_seconds",
        "Latency.",
        &[0.25, 1.0],
        &[("route", "/v1/agents"), ("status", "200")],
    );
    h.observe(0.125);
    h.observe(0.25);
    h.observe_duration(Duration::from_millis(500));
    h.observe(3.0);
    let text = metrics.render();
    let labels = "route=\"/v1/agents\",status=\"200\"";
    for line in [
        format!("http_request_duration_seconds_bucket{{{labels},le=\"0.25\"}} 2"),
        format!("http_request_duration_seconds_bucket{{{labels},le=\"1\"}} 3"),
        format!("http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 4"),
        format!("http_request_duration_seconds_sum{{{labels}}} 3.875"),
        format!("http_request_duration_seconds_count{{{labels}}} 4"),
    ] {
        assert!(
            text.contains(&format!("{line}\n")),
            "missing {line} in\n{text}"
        );
    }
    assert_eq!(h.count(), 4);
}

#[test]
fn label_values_and_help_are_escaped() {
    let metrics = Metrics::new();
    metrics
        .counter_with("odd_total", "Line one\nback\\slash", &[("v", "a\"b\\c\nd")])
        .inc();
    let text = metrics.render();
    assert!(
        text.contains("# HELP odd_total Line one\\nback\\\\slash\n"),
        "{text}"
    );
    assert!(
        text.contains("odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"),
        "{text}"
    );
}

#[test]
#[should_panic(expected = "already registered as a counter, not a gauge")]
fn a_name_cannot_change_kind() {
    let metrics = Metrics::new();
    metrics.counter("x", "x");
    metrics.gauge("x", "x");
}

#[test]
#[should_panic(expected = "invalid metric name")]
fn invalid_names_are_refused() {
    Metrics::new().counter("http-requests", "x");
}

#[test]
fn concurrent_observations_are_all_counted() {
    let metrics = Metrics::new();
    let h = metrics.histogram("work_seconds", "x", LATENCY_SECONDS_BUCKETS);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let h = h.clone();
            std::thread::spawn(move || (0..1000).for_each(|_| h.observe(0.5)))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(h.count(), 4000);
    assert!(metrics.render().contains("work_seconds_sum 2000\n"));
}

#[test]
fn a_process_registry_says_what_it_runs_and_since_when() {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let text = Metrics::for_process("projector", "kafka").render();
    let info = format!(
        "agenfleet_build_info{{process=\"projector\",version=\"{VERSION}\",commit=\"{GIT_COMMIT}\",event_log=\"kafka\"}} 1"
    );
    assert!(text.lines().any(|line| line == info), "{text}");
    assert!(!GIT_COMMIT.is_empty() && !VERSION.is_empty());
    let started: i64 = text
        .lines()
        .find_map(|line| line.strip_prefix("process_start_time_seconds "))
        .expect("a start time")
        .parse()
        .unwrap();
    assert!(
        (before..=before + 5).contains(&started),
        "{started} vs {before}"
    );
}
