//! Prometheus metrics, served as OpenMetrics text at `GET /metrics`: HTTP requests by route and
//! status, request latency by route, GraphQL errors by code, ingested events by kind, and the
//! redirect click queue (depth, written, dropped, failed), read when scraped.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
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

    /// The OpenMetrics text, with the click queue read now.
    pub fn render(&self, clicks: ClickStats) -> String {
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
        let _ = encode(&mut out, &self.registry);
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
        let text = metrics.render(ClickStats {
            enqueued: 10,
            written: 6,
            dropped: 1,
            failed: 1,
        });
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
    }
}
