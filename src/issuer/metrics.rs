//! `GET /metrics`: what the service is doing, in Prometheus text format, through the
//! `metrics` crate and its Prometheus exporter (no hand-written exposition).
//!
//! Each [`Metrics`] has its own recorder instead of the process-wide one, so several
//! services in one process (tests, the demo) each count only their own requests.

use std::sync::Arc;

use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use super::store::PoolStats;

const META: Metadata<'static> = Metadata::new("lanedesk::issuer", metrics::Level::INFO, None);

/// Request latency buckets, in seconds: fine below 50 ms, where the goal is.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn labels(pairs: &[(&'static str, &str)]) -> Vec<Label> {
    pairs
        .iter()
        .map(|(k, v)| Label::new(*k, (*v).to_owned()))
        .collect()
}

impl Metrics {
    pub fn new() -> Metrics {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let described: [(&'static str, &'static str); 14] = [
            (
                "lanedesk_audit_heads_total",
                "Audit chain heads lanes sent with decisions, by result (new, known, conflict, failed)",
            ),
            (
                "lanedesk_http_requests_total",
                "HTTP requests answered, by route, method and status",
            ),
            (
                "lanedesk_http_request_duration_seconds",
                "Time to answer an HTTP request, by route and method",
            ),
            (
                "lanedesk_verifications_total",
                "Codes checked, by outcome: first (first presentation), presented-before (a replay caught) or refused (with the problem code)",
            ),
            (
                "lanedesk_replays_caught_total",
                "Verifications of a code that had been presented before",
            ),
            (
                "lanedesk_decisions_total",
                "Decisions received, by result (recorded, duplicate, conflict) and decision",
            ),
            (
                "lanedesk_endorsement_trips_used_total",
                "Endorsement trips used by approved exits",
            ),
            (
                "lanedesk_card_status_changes_total",
                "Card lifecycle requests, by action and result",
            ),
            (
                "lanedesk_verifications_pruned_total",
                "Verification and first-presentation records deleted after the retention period",
            ),
            (
                "lanedesk_db_connections_max",
                "Database connections this instance may open (SQLite: its one writer)",
            ),
            ("lanedesk_db_connections_open", "Database connections open"),
            (
                "lanedesk_db_connections_idle",
                "Database connections open and idle",
            ),
            (
                "lanedesk_db_waiting",
                "Requests waiting for a database connection (SQLite: jobs queued for the writer)",
            ),
            (
                "lanedesk_ready",
                "1 when the database answers and the service is not stopping",
            ),
        ];
        for (name, help) in described {
            let key = metrics::KeyName::from(name);
            if name.ends_with("_total") {
                recorder.describe_counter(key, None, help.into());
            } else if name.ends_with("_seconds") {
                recorder.describe_histogram(key, Some(metrics::Unit::Seconds), help.into());
            } else {
                recorder.describe_gauge(key, None, help.into());
            }
        }
        Metrics {
            inner: Arc::new(Inner { recorder, handle }),
        }
    }

    fn counter(&self, name: &'static str, pairs: &[(&'static str, &str)]) -> metrics::Counter {
        self.inner
            .recorder
            .register_counter(&Key::from_parts(name, labels(pairs)), &META)
    }

    fn gauge(&self, name: &'static str, value: f64) {
        self.inner
            .recorder
            .register_gauge(&Key::from_name(name), &META)
            .set(value);
    }

    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.counter(
            "lanedesk_http_requests_total",
            &[("route", route), ("method", method), ("status", &status)],
        )
        .increment(1);
        self.inner
            .recorder
            .register_histogram(
                &Key::from_parts(
                    "lanedesk_http_request_duration_seconds",
                    labels(&[("route", route), ("method", method)]),
                ),
                &META,
            )
            .record(seconds);
    }

    /// `first`, `presented-before` or `refused` (with the problem code).
    pub fn verification(&self, outcome: &str, code: &str) {
        self.counter(
            "lanedesk_verifications_total",
            &[("outcome", outcome), ("code", code)],
        )
        .increment(1);
        if outcome == "presented-before" {
            self.counter("lanedesk_replays_caught_total", &[])
                .increment(1);
        }
    }

    pub fn decision(&self, result: &str, decision: &str) {
        self.counter(
            "lanedesk_decisions_total",
            &[("result", result), ("decision", decision)],
        )
        .increment(1);
    }

    pub fn audit_head(&self, result: &str) {
        self.counter("lanedesk_audit_heads_total", &[("result", result)])
            .increment(1);
    }

    pub fn trip_used(&self) {
        self.counter("lanedesk_endorsement_trips_used_total", &[])
            .increment(1);
    }

    pub fn card_change(&self, action: &str, result: &str) {
        self.counter(
            "lanedesk_card_status_changes_total",
            &[("action", action), ("result", result)],
        )
        .increment(1);
    }

    pub fn pruned(&self, records: u64) {
        self.counter("lanedesk_verifications_pruned_total", &[])
            .increment(records);
    }

    /// The exposition, with the pool and readiness gauges taken now.
    pub fn render(&self, pool: PoolStats, ready: bool) -> String {
        self.gauge("lanedesk_db_connections_max", pool.max as f64);
        self.gauge("lanedesk_db_connections_open", pool.open as f64);
        self.gauge("lanedesk_db_connections_idle", pool.idle as f64);
        self.gauge("lanedesk_db_waiting", pool.waiting as f64);
        self.gauge("lanedesk_ready", if ready { 1.0 } else { 0.0 });
        self.inner.handle.run_upkeep();
        self.inner.handle.render()
    }
}
