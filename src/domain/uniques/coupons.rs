//! Coupons, the hashes a small HyperLogLog sketch keeps (upper six bits: the register value;
//! lower 26: the slot), read from and written to the DataSketches HLL serialization
//! (`datasketches::hll::serialization`, the same in every language), and counted.
//!
//! The layout: an eight-byte header (preamble ints, serial version, family, lg_k, lg_arr,
//! flags, the LIST count, the mode byte), then in LIST mode the coupons, in SET mode their count
//! and the coupons, each a little-endian u32. Compact images (the crate's `serialize`) hold
//! only the occupied slots.

use super::LG_K;

const FAMILY_HLL: u8 = 7;
const SERIAL_VERSION: u8 = 1;
const LIST_PREINTS: u8 = 2;
const SET_PREINTS: u8 = 3;
const EMPTY_FLAG: u8 = 4;
const COMPACT_FLAG: u8 = 8;
const MODE_LIST: u8 = 0;
const MODE_SET: u8 = 1;
/// `TYPE` (HLL 8) in the mode byte's target-type bits.
const TARGET_HLL8: u8 = 2 << 2;
/// log2 of the smallest and the largest hash-set tables of SET mode at `LG_K`.
const SET_LG_ARR_MIN: u8 = 5;
const SET_LG_ARR_MAX: u8 = LG_K - 3;
/// Coupons per set image: half the largest table, within the three quarters the crate fills.
pub(super) const IMAGE_COUPONS: usize = 1 << (SET_LG_ARR_MAX - 1);

/// The coupons of a compact coupon-mode sketch of ours (lg_k `LG_K`), read from its bytes;
/// `None` for anything else (a register-mode sketch, or bytes this does not recognize),
/// which the crate then decodes or refuses.
pub(super) fn coupons_of(bytes: &[u8]) -> Option<impl Iterator<Item = u32> + '_> {
    let header = bytes.get(..8)?;
    let [
        preints,
        version,
        family,
        lg_k,
        _lg_arr,
        flags,
        list_count,
        mode,
    ] = *header
    else {
        return None;
    };
    if version != SERIAL_VERSION || family != FAMILY_HLL || lg_k != LG_K {
        return None;
    }
    if flags & COMPACT_FLAG == 0 || mode & !0x3 != TARGET_HLL8 {
        return None;
    }
    let (count, body) = match (mode & 0x3, preints) {
        (MODE_LIST, LIST_PREINTS) => (usize::from(list_count), &bytes[8..]),
        (MODE_SET, SET_PREINTS) => {
            let count: [u8; 4] = bytes.get(8..12)?.try_into().ok()?;
            (u32::from_le_bytes(count) as usize, &bytes[12..])
        }
        _ => return None,
    };
    let count = if flags & EMPTY_FLAG != 0 { 0 } else { count };
    let body = body.get(..count.checked_mul(4)?)?;
    Some(
        body.chunks_exact(4)
            .map(|raw| u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
    )
}

/// The number of distinct coupons in `coupons`, zero aside (it marks an empty slot: no
/// coupon is zero, its register value being at least 1). Counted in an open-addressing table
/// of at least twice their number, probed linearly from each coupon's low bits, which are
/// hash bits already (sorting them instead took 18% of the first page of the whole
/// by-creator report at scale 1.0, session 18).
pub(super) fn distinct(coupons: &[u32]) -> usize {
    let size = (2 * coupons.len()).next_power_of_two().max(16);
    let mask = size - 1;
    let mut table = vec![0u32; size];
    let mut distinct = 0;
    for &coupon in coupons.iter().filter(|&&coupon| coupon != 0) {
        let mut at = coupon as usize & mask;
        loop {
            let slot = &mut table[at];
            if *slot == 0 {
                *slot = coupon;
                distinct += 1;
                break;
            }
            if *slot == coupon {
                break;
            }
            at = (at + 1) & mask;
        }
    }
    distinct
}

/// A compact SET-mode image of at most `IMAGE_COUPONS` distinct coupons, with the table size
/// the crate would have grown to for them: the image of a union of a few coupons (a period
/// sketch, [`super::VisitorCount::to_bytes`]) decodes into a small table, not the largest.
pub(super) fn set_image(coupons: &[u32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(12 + 4 * coupons.len());
    bytes.extend_from_slice(&[
        SET_PREINTS,
        SERIAL_VERSION,
        FAMILY_HLL,
        LG_K,
        set_lg_arr(coupons.len()),
        COMPACT_FLAG,
        0,
        MODE_SET | TARGET_HLL8,
    ]);
    bytes.extend_from_slice(&(coupons.len() as u32).to_le_bytes());
    for coupon in coupons {
        bytes.extend_from_slice(&coupon.to_le_bytes());
    }
    bytes
}

/// The smallest SET table holding `count` coupons at most three quarters full (past that the
/// crate grows it), within SET mode's bounds.
fn set_lg_arr(count: usize) -> u8 {
    let mut lg_arr = SET_LG_ARR_MIN;
    while lg_arr < SET_LG_ARR_MAX && 4 * count > 3 << lg_arr {
        lg_arr += 1;
    }
    lg_arr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_counts_each_coupon_once_and_skips_empty_slots() {
        assert_eq!(distinct(&[]), 0);
        assert_eq!(distinct(&[0, 0]), 0);
        // Equal low bits (probing on) and repeats, in any order.
        let coupons = [7, 7 + (1 << 20), 7, 0, 9, 7 + (1 << 20), 1 << 31, 9];
        assert_eq!(distinct(&coupons), 4);
        let many: Vec<u32> = (1..=5_000).chain(2_000..=3_000).rev().collect();
        assert_eq!(distinct(&many), 5_000);
    }

    #[test]
    fn set_images_read_back_as_their_coupons() {
        let coupons: Vec<u32> = (1..=100).map(|i| (1 << 26) | (i * 7)).collect();
        let image = set_image(&coupons);
        assert_eq!(coupons_of(&image).map(Iterator::collect), Some(coupons));
        assert!(coupons_of(&image[..image.len() - 1]).is_none(), "truncated");
        let mut other_k = image.clone();
        other_k[3] = LG_K - 1;
        assert!(coupons_of(&other_k).is_none(), "another lg_k");
    }

    #[test]
    fn set_images_get_the_table_the_crate_would_grow() {
        assert_eq!(set_lg_arr(0), 5);
        assert_eq!(set_lg_arr(24), 5);
        assert_eq!(set_lg_arr(25), 6);
        assert_eq!(set_lg_arr(1_000), 11);
        assert_eq!(set_lg_arr(IMAGE_COUPONS), SET_LG_ARR_MAX);
        assert_eq!(set_image(&[1, 2, 3])[4], 5);
    }
}
