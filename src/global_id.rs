//! Opaque global IDs: base64url (no padding) of `"<Type>:<database id>"`. Clients must treat them
//! as opaque; the encoding only has to stay stable.
//!
//! A neutral codec: the GraphQL layer wraps it in `ID` (`graphql::id`), and the layers below it
//! (webhook payloads, the postback's answer) write the same IDs without naming GraphQL.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;

/// Every type that implements `Node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Brand,
    User,
    ApiKey,
    Creator,
    Campaign,
    Offer,
    Enrollment,
    Deliverable,
    Cost,
    TrackingLink,
    DiscountCode,
    Conversion,
    Payout,
    Commission,
    Experiment,
    WebhookEndpoint,
    WebhookDelivery,
    Invite,
    Session,
    Channel,
    Connector,
    Export,
    Import,
    FraudFlag,
}

impl NodeKind {
    const ALL: [NodeKind; 24] = [
        NodeKind::Brand,
        NodeKind::User,
        NodeKind::ApiKey,
        NodeKind::Creator,
        NodeKind::Campaign,
        NodeKind::Offer,
        NodeKind::Enrollment,
        NodeKind::Deliverable,
        NodeKind::Cost,
        NodeKind::TrackingLink,
        NodeKind::DiscountCode,
        NodeKind::Conversion,
        NodeKind::Payout,
        NodeKind::Commission,
        NodeKind::Experiment,
        NodeKind::WebhookEndpoint,
        NodeKind::WebhookDelivery,
        NodeKind::Invite,
        NodeKind::Session,
        NodeKind::Channel,
        NodeKind::Connector,
        NodeKind::Export,
        NodeKind::Import,
        NodeKind::FraudFlag,
    ];

    pub fn type_name(self) -> &'static str {
        match self {
            Self::Brand => "Brand",
            Self::User => "User",
            Self::ApiKey => "ApiKey",
            Self::Creator => "Creator",
            Self::Campaign => "Campaign",
            Self::Offer => "Offer",
            Self::Enrollment => "Enrollment",
            Self::Deliverable => "Deliverable",
            Self::Cost => "Cost",
            Self::TrackingLink => "TrackingLink",
            Self::DiscountCode => "DiscountCode",
            Self::Conversion => "Conversion",
            Self::Payout => "Payout",
            Self::Commission => "Commission",
            Self::Experiment => "Experiment",
            Self::WebhookEndpoint => "WebhookEndpoint",
            Self::WebhookDelivery => "WebhookDelivery",
            Self::Invite => "Invite",
            Self::Session => "Session",
            Self::Channel => "Channel",
            Self::Connector => "Connector",
            Self::Export => "Export",
            Self::Import => "Import",
            Self::FraudFlag => "FraudFlag",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.type_name() == name)
    }
}

pub fn encode(kind: NodeKind, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.type_name()))
}

/// Decodes any global ID. Garbage is BAD_USER_INPUT; a well-formed ID whose object does not exist
/// (or belongs to another brand) is the caller's NOT_FOUND.
pub fn decode(id: &str) -> Result<(NodeKind, i64), AppError> {
    let invalid = || AppError::bad_input("id", "not a valid ID");
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let (type_name, raw) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeKind::from_type_name(type_name).ok_or_else(invalid)?;
    let raw: i64 = raw.parse().map_err(|_| invalid())?;
    if raw <= 0 {
        return Err(invalid());
    }
    Ok((kind, raw))
}

/// Decodes an ID that must name an object of `kind` (an ID of another type cannot name one, so
/// it is NOT_FOUND).
pub fn decode_as(id: &str, kind: NodeKind, field: &str) -> Result<i64, AppError> {
    match decode(id) {
        Ok((found, raw)) if found == kind => Ok(raw),
        Ok(_) => Err(AppError::NotFound),
        Err(_) => Err(AppError::bad_input(field, "not a valid ID")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn ids_round_trip_and_look_opaque() {
        for kind in NodeKind::ALL {
            let id = encode(kind, 42);
            assert!(!id.contains("42"));
            assert_eq!(decode(&id).unwrap(), (kind, 42));
        }
        let brand = encode(NodeKind::Brand, 7);
        assert_eq!(decode_as(&brand, NodeKind::Brand, "brandId").unwrap(), 7);
        let err = decode_as(&brand, NodeKind::User, "userId").unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
    }

    #[test]
    fn garbage_is_bad_input() {
        for raw in [
            "",
            "!!!",
            "QnJhbmQ",
            "Tm9wZTox",
            "QnJhbmQ6LTE",
            "QnJhbmQ6eA",
        ] {
            let err = decode(raw).unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{raw}");
        }
        let err = decode_as("!!!", NodeKind::User, "userId").unwrap_err();
        assert_eq!(err.field(), Some("userId"));
    }
}
