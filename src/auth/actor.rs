use crate::error::AppError;

/// Roles and what they may do are in DOMAIN.md ("Who calls it").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Manager,
    Analyst,
    Creator,
    Integrator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    User(i64),
    ApiKey(i64),
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
}

impl Actor {
    /// The brand of a staff member or API key; creators have none and are refused.
    pub fn staff_brand(&self) -> Result<i64, AppError> {
        match (self.role, self.brand_id) {
            (Role::Creator, _) | (_, None) => Err(AppError::Forbidden(
                "this operation is for brand staff".into(),
            )),
            (_, Some(brand_id)) => Ok(brand_id),
        }
    }
}
