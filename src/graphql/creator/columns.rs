//! The columns a query's selection of creators and channels reads, so that lists select and
//! decode only those ([`crate::db::projection`]) and read a page's channels with it. Each
//! GraphQL field names the columns its resolver reads; a field this table does not know reads
//! every column, so a field added without an entry here is slower, never wrong.

use async_graphql::{Lookahead, SelectionField};

use crate::db::entity::{channel, creator};
use crate::db::projection::Columns;
use crate::service::creator_page::ListColumns;

/// The columns the fields of a creators connection's nodes read (its `edges { node }` and
/// `nodes` together): of the creators, and of their channels when `channels` is selected.
pub fn of_connection(connection: &Lookahead<'_>) -> ListColumns {
    let nodes = connection.field("edges").field("node").selection_fields();
    let nodes = nodes
        .into_iter()
        .chain(connection.field("nodes").selection_fields());
    let mut creators = Columns::none();
    let mut channels: Option<Columns<channel::Column>> = None;
    for node in nodes {
        for field in node.selection_set() {
            match creator_columns(field.name()) {
                Some(read) => creators = creators.union(Columns::of(read.iter().copied())),
                None => creators = Columns::all(),
            }
            if field.name() == "channels" {
                let read = of_channels(&field);
                channels = Some(channels.map_or(read, |before| before.union(read)));
            }
        }
    }
    ListColumns { creators, channels }
}

/// The channel columns read by the fields selected under `channels` (a `Creator.channels`
/// field).
pub fn of_channels(channels: &SelectionField<'_>) -> Columns<channel::Column> {
    let mut columns = Columns::none();
    for field in channels.selection_set() {
        match channel_columns(field.name()) {
            Some(read) => columns = columns.union(Columns::of(read.iter().copied())),
            None => return Columns::all(),
        }
    }
    columns
}

/// What the `Creator` field `name` reads (`crate::graphql::creator::types::Creator`).
fn creator_columns(name: &str) -> Option<&'static [creator::Column]> {
    use creator::Column as C;
    Some(match name {
        "__typename" => &[],
        // The id, and what loads by it.
        "id" | "channels" | "enrollments" => &[C::Id],
        "brand" => &[C::BrandId],
        "displayName" => &[C::DisplayName],
        "email" => &[C::Email],
        "country" => &[C::Country],
        "niches" => &[C::Niches],
        "tier" | "followers" => &[C::Followers],
        "primaryPlatform" => &[C::PrimaryPlatform],
        "stage" => &[C::Stage],
        "vettingStatus" => &[C::VettingStatus],
        "brandSafetyScore" => &[C::BrandSafetyScore],
        "vettingNotes" => &[C::VettingNotes],
        "erasedAt" => &[C::ErasedAt],
        "createdAt" => &[C::CreatedAt],
        "updatedAt" => &[C::UpdatedAt],
        _ => return None,
    })
}

/// What the `Channel` field `name` reads (`crate::graphql::creator::types::Channel`).
fn channel_columns(name: &str) -> Option<&'static [channel::Column]> {
    use channel::Column as C;
    Some(match name {
        "__typename" => &[],
        "id" => &[C::Id],
        "platform" => &[C::Platform],
        "handle" => &[C::Handle],
        "url" => &[C::Url],
        "followers" => &[C::Followers],
        "avgViews" => &[C::AvgViews],
        "engagementRate" => &[C::EngagementRate],
        "audienceCountries" => &[C::AudienceCountries],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use async_graphql::ObjectType;
    use async_graphql::registry::{MetaType, Registry};

    use super::*;
    use crate::graphql::creator::types::{Channel, Creator};

    /// The fields of the GraphQL object `T`.
    fn fields_of<T: ObjectType>() -> Vec<String> {
        let mut registry = Registry::default();
        T::create_type_info(&mut registry);
        let Some(MetaType::Object { fields, .. }) = registry.types.get(&*T::type_name()) else {
            panic!("{} is an object", T::type_name());
        };
        fields.keys().cloned().collect()
    }

    #[test]
    fn every_creator_and_channel_field_names_the_columns_it_reads() {
        let creator_fields = fields_of::<Creator>();
        assert!(creator_fields.len() > 15);
        for field in creator_fields {
            assert!(creator_columns(&field).is_some(), "Creator.{field}");
        }
        let channel_fields = fields_of::<Channel>();
        assert!(channel_fields.len() > 7);
        for field in channel_fields {
            assert!(channel_columns(&field).is_some(), "Channel.{field}");
        }
        assert!(creator_columns("aFieldAddedLater").is_none());
    }
}
