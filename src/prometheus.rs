//! Prometheus metrics, served as OpenMetrics text at `GET /metrics`: HTTP requests by route and
//! status, request latency by route, GraphQL errors by code, ingested events by kind, and the
//! redirect click queue (depth, written, dropped, failed), read when scraped, and, with a read
//! replica, its lag and whether reads go to it.

use prometheus_client::encoding::EncodeLabelSet;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::tracking::clicks::ClickStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route (`/r/{code}`, never the raw path), or `other`.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// `click`, `conversion` or `refund`.
    pub kind: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    errors: Family<CodeLabels, Counter>,
    ingested: Family<KindLabels, Counter>,
    click_queue_depth: Gauge,
    clicks_written: Gauge,
    clicks_dropped: Gauge,
    clicks_failed: Gauge,
    instances: Gauge,
    /// Listed only when a replica is configured: a registry of their own.
    replica_registry: Registry,
    replica_lag: Gauge<f64, AtomicU64>,
    replica_up: Gauge,
}

/// The read replica's figures, read when scraped (`crate::db::Db`).
#[derive(Clone, Copy, Debug)]
pub struct ReplicaGauges {
    /// Its lag behind the primary as last measured.
    pub lag_seconds: f64,
    /// Whether reads go to it (it answers and keeps up).
    pub up: bool,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("partnergraph");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let errors = Family::<CodeLabels, Counter>::default();
        let ingested = Family::<KindLabels, Counter>::default();
        let (depth, written, dropped, failed) = (
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "graphql_errors",
            "GraphQL errors by extensions.code",
            errors.clone(),
        );
        registry.register(
            "ingested_events",
            "Events stored by ingestion (clicks, conversions, refunds), duplicates excluded",
            ingested.clone(),
        );
        registry.register(
            "click_queue_depth",
            "Redirect clicks accepted and not yet written",
            depth.clone(),
        );
        registry.register(
            "clicks_written",
            "Redirect clicks written since start",
            written.clone(),
        );
        registry.register(
            "clicks_dropped",
            "Redirect clicks refused by a full queue since start",
            dropped.clone(),
        );
        let instances = Gauge::default();
        instances.set(1);
        registry.register(
            "instances",
            "Instances serving this database, as this process last counted them (1 on SQLite)",
            instances.clone(),
        );
        registry.register(
            "clicks_failed",
            "Redirect clicks lost to write failures since start",
            failed.clone(),
        );
        let mut replica_registry = Registry::with_prefix("partnergraph");
        let replica_lag = Gauge::<f64, AtomicU64>::default();
        let replica_up = Gauge::default();
        replica_registry.register(
            "replica_lag_seconds",
            "The read replica's lag behind the primary, as last measured",
            replica_lag.clone(),
        );
        replica_registry.register(
            "replica_up",
            "1 while reads go to the read replica (it answers and keeps up), else 0",
            replica_up.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            errors,
            ingested,
            click_queue_depth: depth,
            clicks_written: written,
            clicks_dropped: dropped,
            clicks_failed: failed,
            instances,
            replica_registry,
            replica_lag,
            replica_up,
        }
    }

    /// Instances serving the database (the rate limits' last count).
    pub fn instances(&self, n: u32) {
        self.instances.set(i64::from(n));
    }

    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub fn graphql_error(&self, code: &str) {
        self.errors
            .get_or_create(&CodeLabels {
                code: code.to_owned(),
            })
            .inc();
    }

    pub fn ingested(&self, kind: &str, count: u64) {
        if count > 0 {
            self.ingested
                .get_or_create(&KindLabels {
                    kind: kind.to_owned(),
                })
                .inc_by(count);
        }
    }

    /// The OpenMetrics text, with the click queue and the replica (when one is configured)
    /// read now.
    pub fn render(&self, clicks: ClickStats, replica: Option<ReplicaGauges>) -> String {
        let gauge = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let depth = clicks
            .enqueued
            .saturating_sub(clicks.written)
            .saturating_sub(clicks.failed);
        self.click_queue_depth.set(gauge(depth));
        self.clicks_written.set(gauge(clicks.written));
        self.clicks_dropped.set(gauge(clicks.dropped));
        self.clicks_failed.set(gauge(clicks.failed));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode_registry(&mut out, &self.registry);
        if let Some(replica) = replica {
            self.replica_lag.set(replica.lag_seconds);
            self.replica_up.set(i64::from(replica.up));
            let _ = encode_registry(&mut out, &self.replica_registry);
        }
        let _ = encode_eof(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_the_queue() {
        let metrics = Metrics::new();
        metrics.request("/graphql", 200, 0.004);
        metrics.request("/graphql", 200, 0.006);
        metrics.graphql_error("BAD_USER_INPUT");
        metrics.ingested("conversion", 3);
        let clicks = ClickStats {
            enqueued: 10,
            written: 6,
            dropped: 1,
            failed: 1,
        };
        let text = metrics.render(clicks, None);
        assert!(
            text.contains(r#"partnergraph_http_requests_total{route="/graphql",status="200"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"partnergraph_http_request_duration_seconds_count{route="/graphql"} 2"#
            )
        );
        assert!(text.contains(r#"partnergraph_graphql_errors_total{code="BAD_USER_INPUT"} 1"#));
        assert!(text.contains(r#"partnergraph_ingested_events_total{kind="conversion"} 3"#));
        assert!(text.contains("partnergraph_click_queue_depth 3"));
        assert!(text.ends_with("# EOF\n"));
        assert!(!text.contains("replica"), "{text}");

        let replica = ReplicaGauges {
            lag_seconds: 2.5,
            up: false,
        };
        let text = metrics.render(clicks, Some(replica));
        assert!(
            text.contains("partnergraph_replica_lag_seconds 2.5\n"),
            "{text}"
        );
        assert!(text.contains("partnergraph_replica_up 0\n"), "{text}");
        assert!(text.contains("partnergraph_click_queue_depth 3"), "{text}");
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
