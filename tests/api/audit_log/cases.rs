//! What a case of the walk is: one mutation, run once successfully, and what its entry must
//! name.

use std::future::Future;
use std::pin::Pin;

use crate::helpers::TestApp;
use crate::helpers::world::World;

/// What a case did: the object the entry must name, who acted when not brand A's ADMIN (the
/// API key's ID), and secrets it handed out that no entry may contain.
pub struct Done {
    pub target: String,
    pub actor: Option<String>,
    pub secrets: Vec<String>,
}

impl Done {
    pub fn target(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            actor: None,
            secrets: Vec::new(),
        }
    }

    pub fn by(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }
}

pub type Run = for<'a> fn(&'a TestApp, &'a World) -> Pin<Box<dyn Future<Output = Done> + 'a>>;

pub struct Case {
    pub mutation: &'static str,
    pub run: Run,
}

/// `case!("createCampaign", create_campaign)` for `async fn create_campaign(app, w) -> Done`.
#[macro_export]
macro_rules! audit_case {
    ($mutation:literal, $run:path) => {
        $crate::audit_log::cases::Case {
            mutation: $mutation,
            run: |app, w| Box::pin($run(app, w)),
        }
    };
}
