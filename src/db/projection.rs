//! Reading a model with only some of its columns: a list whose caller asks for five of a
//! creator's seventeen fields selects and decodes those five (BENCHMARKS.md, session 22).
//!
//! A [`Columns`] set names what a read selects, in the entity's column order. [`read`] decodes
//! such a row into the whole model, by position rather than by name; a column that was not
//! selected keeps the neutral value of [`Projected::blank`] (zero, empty, none, the Unix
//! epoch). The caller promises not to look at those: the GraphQL layer derives the set from the
//! fields a query selects, and falls back to every column for a field it does not know.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, ModelTrait, QueryResult};

use super::entity::{channel, creator};

/// A set of an entity's columns (at most 64), iterated in the entity's column order.
pub struct Columns<C> {
    bits: u64,
    column: PhantomData<fn() -> C>,
}

impl<C: ColumnTrait> Columns<C> {
    /// No column.
    pub fn none() -> Self {
        Self::from_bits(0)
    }

    /// Every column of the entity.
    pub fn all() -> Self {
        C::iter().fold(Self::none(), Self::with)
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.bits.count_ones() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// These columns.
    pub fn of(columns: impl IntoIterator<Item = C>) -> Self {
        columns.into_iter().fold(Self::none(), Self::with)
    }

    /// The set with `column` added.
    pub fn with(self, column: C) -> Self {
        Self::from_bits(self.bits | bit(column))
    }

    /// Both sets' columns.
    pub fn union(self, other: Self) -> Self {
        Self::from_bits(self.bits | other.bits)
    }

    pub fn contains(&self, column: C) -> bool {
        self.bits & bit(column) != 0
    }

    /// The position of `column` among the set's columns, if it is one of them.
    pub fn position(&self, column: C) -> Option<usize> {
        self.contains(column)
            .then(|| (self.bits & (bit(column) - 1)).count_ones() as usize)
    }

    /// The columns, in the entity's order (the order [`read`] expects them in a row). By
    /// position: [`read`] walks this for every row.
    pub fn iter(&self) -> impl Iterator<Item = C> + '_ {
        C::iter()
            .enumerate()
            .filter(|(position, _)| {
                1u64.checked_shl(*position as u32)
                    .is_some_and(|bit| self.bits & bit != 0)
            })
            .map(|(_, column)| column)
    }

    fn from_bits(bits: u64) -> Self {
        Self {
            bits,
            column: PhantomData,
        }
    }
}

/// The bit of `column`: its position among the entity's columns.
fn bit<C: ColumnTrait>(column: C) -> u64 {
    let position = C::iter()
        .position(|each| each.as_str() == column.as_str())
        .unwrap_or(0);
    1u64.checked_shl(position as u32).unwrap_or(0)
}

impl<C> Clone for Columns<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Columns<C> {}

impl<C> PartialEq for Columns<C> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}

impl<C> Eq for Columns<C> {}

impl<C> Hash for Columns<C> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}

impl<C: ColumnTrait> fmt::Debug for Columns<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|column| column.as_str()))
            .finish()
    }
}

/// A model that can be read from some of its columns.
pub trait Projected: ModelTrait + Sized {
    /// Every field at its neutral value: what a column that was not selected holds.
    fn blank() -> Self;

    /// Sets the field of `column` from the row's value at `index`.
    fn set_from(
        &mut self,
        column: <Self::Entity as EntityTrait>::Column,
        row: &QueryResult,
        index: usize,
    ) -> Result<(), DbErr>;
}

/// The model of a row that holds `columns` first, in their order.
pub fn read<M: Projected>(
    row: &QueryResult,
    columns: &Columns<<M::Entity as EntityTrait>::Column>,
) -> Result<M, DbErr> {
    read_at(row, columns, 0)
}

/// The model of a row that holds `columns` in their order from position `first` (a join's
/// second table).
pub fn read_at<M: Projected>(
    row: &QueryResult,
    columns: &Columns<<M::Entity as EntityTrait>::Column>,
    first: usize,
) -> Result<M, DbErr> {
    let mut model = M::blank();
    for (index, column) in columns.iter().enumerate() {
        model.set_from(column, row, first + index)?;
    }
    Ok(model)
}

fn epoch() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::UNIX_EPOCH
}

/// `Projected` for `$entity::Model`: each column, the field it sets and the field's blank value.
/// The match on the column and the struct literal are exhaustive: a column added to the entity
/// and not here does not compile.
macro_rules! projected {
    ($entity:ident { $($column:ident => $field:ident = $blank:expr),* $(,)? }) => {
        impl Projected for $entity::Model {
            fn blank() -> Self {
                Self { $($field: $blank),* }
            }

            fn set_from(
                &mut self,
                column: $entity::Column,
                row: &QueryResult,
                index: usize,
            ) -> Result<(), DbErr> {
                match column {
                    $($entity::Column::$column => self.$field = row.try_get_by_index(index)?,)*
                }
                Ok(())
            }
        }
    };
}

projected!(creator {
    Id => id = 0,
    BrandId => brand_id = 0,
    UserId => user_id = None,
    DisplayName => display_name = String::new(),
    Email => email = None,
    EmailHash => email_hash = None,
    Country => country = None,
    Niches => niches = String::new(),
    Stage => stage = String::new(),
    VettingStatus => vetting_status = String::new(),
    BrandSafetyScore => brand_safety_score = None,
    VettingNotes => vetting_notes = None,
    Followers => followers = 0,
    PrimaryPlatform => primary_platform = None,
    ErasedAt => erased_at = None,
    CreatedAt => created_at = epoch(),
    UpdatedAt => updated_at = epoch(),
});

projected!(channel {
    Id => id = 0,
    BrandId => brand_id = 0,
    CreatorId => creator_id = 0,
    Platform => platform = String::new(),
    Handle => handle = String::new(),
    Url => url = None,
    Followers => followers = 0,
    AvgViews => avg_views = None,
    EngagementRate => engagement_rate = None,
    AudienceCountries => audience_countries = String::new(),
    CreatedAt => created_at = epoch(),
    UpdatedAt => updated_at = epoch(),
});

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::*;

    #[test]
    fn a_set_iterates_in_the_entitys_order_whatever_the_order_it_was_given_in() {
        use creator::Column as C;
        // Given twice, a column is in the set once.
        let columns = Columns::of([C::Stage, C::Id, C::Followers, C::Id]);
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["id", "stage", "followers"]);
        assert!(columns.contains(C::Stage));
        assert_eq!(columns.len(), 3);
        assert_eq!(columns.position(C::Id), Some(0));
        assert_eq!(columns.position(C::Followers), Some(2));
        assert_eq!(columns.position(C::Email), None);
        assert!(!columns.contains(C::Email));
    }

    #[test]
    fn all_holds_every_column_and_sets_compare_by_their_columns() {
        let all = Columns::<channel::Column>::all();
        assert_eq!(all.iter().count(), channel::Column::iter().count());
        assert_eq!(
            Columns::of([channel::Column::Url]).union(Columns::of([channel::Column::Id])),
            Columns::of([channel::Column::Id, channel::Column::Url])
        );
        assert_ne!(Columns::<channel::Column>::none(), all);
        assert_eq!(
            format!("{:?}", Columns::of([channel::Column::Platform])),
            r#"{"platform"}"#
        );
    }
}
