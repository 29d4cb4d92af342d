use super::policy::{self, Permission, Scope};
use crate::error::AppError;

/// Roles and what they may do are in DOMAIN.md ("Who calls it") and [`policy::allows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Manager,
    Analyst,
    Creator,
    /// An API key, never a user.
    Integrator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::Manager => "MANAGER",
            Self::Analyst => "ANALYST",
            Self::Creator => "CREATOR",
            Self::Integrator => "INTEGRATOR",
        }
    }

    /// The role of a stored user row.
    pub fn from_stored(value: &str) -> Option<Self> {
        [Self::Admin, Self::Manager, Self::Analyst, Self::Creator]
            .into_iter()
            .find(|role| role.as_str() == value)
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Self::Admin | Self::Manager | Self::Analyst)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    User(i64),
    ApiKey(i64),
    /// A store connector's verified delivery: ingests (INTEGRATOR with INGEST) for its brand.
    Connector(i64),
}

/// The verified caller. The brand always comes from here (the token or key), never from an
/// argument.
#[derive(Clone, Debug)]
pub struct Actor {
    pub principal: Principal,
    pub role: Role,
    /// The staff member's or key's brand; `None` for creator accounts, which span brands.
    pub brand_id: Option<i64>,
    /// For CREATOR: its creator records, one per brand it works with.
    pub creator_ids: Vec<i64>,
    /// For API keys: what the key may be used for.
    pub scopes: Vec<Scope>,
    /// For users: the session (refresh-token family) of the access token.
    pub session_id: Option<String>,
}

impl Actor {
    /// The caller of a connector's verified delivery: may ingest into the connector's brand
    /// and nothing else.
    pub fn connector(connector_id: i64, brand_id: i64) -> Self {
        Self {
            principal: Principal::Connector(connector_id),
            role: Role::Integrator,
            brand_id: Some(brand_id),
            creator_ids: Vec::new(),
            scopes: vec![Scope::Ingest],
            session_id: None,
        }
    }

    /// The caller's brand when its role has `permission` there; FORBIDDEN otherwise.
    pub fn require(&self, permission: Permission) -> Result<i64, AppError> {
        match self.brand_id {
            Some(brand_id) if policy::allows(self.role, &self.scopes, permission) => Ok(brand_id),
            _ => Err(AppError::Forbidden(format!(
                "the {} role may not do this",
                self.role.as_str()
            ))),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self.principal {
            Principal::User(id) => Some(id),
            Principal::ApiKey(_) | Principal::Connector(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, brand_id: Option<i64>) -> Actor {
        Actor {
            principal: Principal::User(1),
            role,
            brand_id,
            creator_ids: vec![],
            scopes: vec![],
            session_id: None,
        }
    }

    #[test]
    fn require_returns_the_brand_or_forbidden() {
        assert_eq!(
            actor(Role::Admin, Some(9))
                .require(Permission::ManageUsers)
                .unwrap(),
            9
        );
        let err = actor(Role::Analyst, Some(9))
            .require(Permission::ManageUsers)
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)));
        assert!(
            actor(Role::Creator, None)
                .require(Permission::ReadBrand)
                .is_err()
        );
    }

    #[test]
    fn stored_roles_round_trip_and_integrator_is_not_a_user_role() {
        for role in [Role::Admin, Role::Manager, Role::Analyst, Role::Creator] {
            assert_eq!(Role::from_stored(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_stored("INTEGRATOR"), None);
    }
}
