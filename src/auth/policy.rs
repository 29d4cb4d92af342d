//! The permissions table of DOMAIN.md ("Who calls it") as a pure function.

/// What an API key may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Ingest,
    ReadLinks,
    ReadChanges,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::ReadLinks, Scope::ReadChanges];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingest => "INGEST",
            Self::ReadLinks => "READ_LINKS",
            Self::ReadChanges => "READ_CHANGES",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == value)
    }
}

/// Everything a caller can be allowed or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read the brand's entities (creators, campaigns, links, ...), never secrets.
    ReadBrand,
    /// Invite staff, list users.
    ManageUsers,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Brand settings and exchange rates.
    ManageSettings,
    /// Invite a creator to its creator record.
    InviteCreators,
    /// Creators, campaigns, offers, enrollments, links, codes, content, costs, experiments.
    ManagePartnerships,
    /// Create payouts (gather approved commissions).
    PreparePayouts,
    /// Mark payouts paid; manual commission adjustments and bonuses.
    ApprovePayouts,
    /// Integrators: clicks, conversions, refunds.
    Ingest,
    /// Integrators: the conversion change feed.
    ReadChanges,
    /// Integrators: links and codes.
    ReadLinks,
    /// Register, change and delete webhook endpoints; retry deliveries.
    ManageWebhooks,
    /// Data rights: erase a creator's or a customer's personal data, export a creator's.
    ManageDataRights,
    /// Read webhook endpoints (never their secrets) and the delivery log. Not ANALYST: endpoint
    /// URLs often carry an integration's credentials.
    ReadWebhooks,
    /// Connect a store (Shopify, Stripe, WooCommerce), rotate its secret, disable it.
    ManageConnectors,
    /// Read connectors and their delivery counters (never their secrets).
    ReadConnectors,
    /// Read the audit log (DOMAIN rule 9): ADMIN only.
    ReadAuditLog,
}

use super::Role;

/// Whether `role` (with `scopes` for API keys) has `permission`.
pub fn allows(role: Role, scopes: &[Scope], permission: Permission) -> bool {
    use Permission as P;
    match role {
        Role::Admin => !matches!(permission, P::Ingest | P::ReadChanges),
        Role::Manager => matches!(
            permission,
            P::ReadBrand
                | P::InviteCreators
                | P::ManagePartnerships
                | P::PreparePayouts
                | P::ReadLinks
                | P::ReadWebhooks
                | P::ReadConnectors
        ),
        Role::Analyst => matches!(permission, P::ReadBrand | P::ReadLinks | P::ReadConnectors),
        // Creators reach their own records through dedicated, creator-scoped services.
        Role::Creator => false,
        Role::Integrator => match permission {
            P::Ingest => scopes.contains(&Scope::Ingest),
            P::ReadChanges => scopes.contains(&Scope::ReadChanges),
            P::ReadLinks => scopes.contains(&Scope::ReadLinks),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;

    const STAFF_ONLY: [Permission; 8] = [
        P::ReadBrand,
        P::ManageUsers,
        P::ManageApiKeys,
        P::ManageSettings,
        P::InviteCreators,
        P::ManagePartnerships,
        P::PreparePayouts,
        P::ApprovePayouts,
    ];

    #[test]
    fn admin_does_everything_in_its_brand_but_integration_calls() {
        for p in STAFF_ONLY {
            assert!(allows(Role::Admin, &[], p), "{p:?}");
        }
        assert!(!allows(Role::Admin, &[], P::Ingest));
    }

    #[test]
    fn manager_runs_partnerships_but_not_users_keys_settings_or_payout_approval() {
        for p in [
            P::ReadBrand,
            P::InviteCreators,
            P::ManagePartnerships,
            P::PreparePayouts,
        ] {
            assert!(allows(Role::Manager, &[], p), "{p:?}");
        }
        for p in [
            P::ManageUsers,
            P::ManageApiKeys,
            P::ManageSettings,
            P::ApprovePayouts,
        ] {
            assert!(!allows(Role::Manager, &[], p), "{p:?}");
        }
    }

    #[test]
    fn only_admin_manages_connectors_and_staff_read_them() {
        assert!(allows(Role::Admin, &[], P::ManageConnectors));
        for role in [Role::Admin, Role::Manager, Role::Analyst] {
            assert!(allows(role, &[], P::ReadConnectors), "{role:?}");
        }
        for role in [Role::Manager, Role::Analyst, Role::Creator] {
            assert!(!allows(role, &[], P::ManageConnectors), "{role:?}");
        }
        assert!(!allows(Role::Creator, &[], P::ReadConnectors));
        assert!(!allows(Role::Integrator, &Scope::ALL, P::ReadConnectors));
        assert!(!allows(Role::Integrator, &Scope::ALL, P::ManageConnectors));
    }

    #[test]
    fn analyst_only_reads() {
        assert!(allows(Role::Analyst, &[], P::ReadBrand));
        for p in &STAFF_ONLY[1..] {
            assert!(!allows(Role::Analyst, &[], *p), "{p:?}");
        }
    }

    #[test]
    fn creators_have_no_brand_wide_permission() {
        for p in STAFF_ONLY {
            assert!(!allows(Role::Creator, &[], p), "{p:?}");
        }
    }

    #[test]
    fn keys_do_what_their_scopes_say_and_nothing_else() {
        let ingest_only = [Scope::Ingest];
        assert!(allows(Role::Integrator, &ingest_only, P::Ingest));
        assert!(!allows(Role::Integrator, &ingest_only, P::ReadChanges));
        assert!(allows(Role::Integrator, &Scope::ALL, P::ReadLinks));
        for p in STAFF_ONLY {
            assert!(!allows(Role::Integrator, &Scope::ALL, p), "{p:?}");
        }
    }

    #[test]
    fn only_admin_manages_webhooks_and_analysts_do_not_read_them() {
        assert!(allows(Role::Admin, &[], P::ManageWebhooks));
        assert!(allows(Role::Admin, &[], P::ReadWebhooks));
        assert!(allows(Role::Manager, &[], P::ReadWebhooks));
        assert!(!allows(Role::Manager, &[], P::ManageWebhooks));
        for role in [Role::Analyst, Role::Creator] {
            assert!(!allows(role, &[], P::ReadWebhooks), "{role:?}");
            assert!(!allows(role, &[], P::ManageWebhooks), "{role:?}");
        }
        assert!(!allows(Role::Integrator, &Scope::ALL, P::ReadWebhooks));
        assert!(!allows(Role::Integrator, &Scope::ALL, P::ManageWebhooks));
    }

    #[test]
    fn only_admin_exercises_data_rights() {
        assert!(allows(Role::Admin, &[], P::ManageDataRights));
        for role in [Role::Manager, Role::Analyst, Role::Creator] {
            assert!(!allows(role, &[], P::ManageDataRights), "{role:?}");
        }
        assert!(!allows(Role::Integrator, &Scope::ALL, P::ManageDataRights));
    }

    #[test]
    fn scopes_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::from_stored(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::from_stored("ADMIN"), None);
    }
}
