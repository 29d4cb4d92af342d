//! The cost [`super::Limits`] computed for a request, handed to whoever executes it (the HTTP
//! layer's `extensions.cost`) without costing the document a second time.

use std::any::TypeId;
use std::sync::{Arc, OnceLock};

use async_graphql::Request;

/// Put a clone into the request's data before executing it; read it afterwards. Empty when the
/// document was refused before it was costed (too long, does not parse).
#[derive(Clone, Debug, Default)]
pub struct CostReport(Arc<OnceLock<u64>>);

impl CostReport {
    /// The cost in points, when the document was costed.
    pub fn points(&self) -> Option<u64> {
        self.0.get().copied()
    }

    /// Records `points` in the report `request` carries, if any (a request runs once: the
    /// first value stays).
    pub(super) fn record(request: &Request, points: u64) {
        let report = request
            .data
            .get(&TypeId::of::<Self>())
            .and_then(|data| data.downcast_ref::<Self>());
        if let Some(report) = report {
            let _ = report.0.set(points);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_in_the_request_reports_to_the_original() {
        let report = CostReport::default();
        assert_eq!(report.points(), None);
        let request = Request::new("{ __typename }").data(report.clone());
        CostReport::record(&request, 13);
        CostReport::record(&request, 99);
        assert_eq!(report.points(), Some(13));
        // A request without a report is left alone.
        CostReport::record(&Request::new("{ __typename }"), 5);
    }
}
