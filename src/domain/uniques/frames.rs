//! Many stored sketches in one value: each framed by its length (four bytes, big-endian) and
//! concatenated. A report's statement concatenates an owner's sketches of every period so that
//! a quarter reads a row per owner rather than one per owner and period
//! (`service::performance::uniques`); [`frames`] splits them again.

use super::BadSketch;

/// The bytes of a frame's length.
const PREFIX: usize = 4;

/// The sketches of concatenated frames, in order. A frame cut short (a length longer than the
/// bytes left) is an error, after which nothing more is read.
pub fn frames(bytes: &[u8]) -> Frames<'_> {
    Frames { rest: bytes }
}

/// The iterator of [`frames`].
pub struct Frames<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<&'a [u8], BadSketch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = std::mem::take(&mut self.rest);
        let Some((prefix, body)) = rest.split_first_chunk::<PREFIX>() else {
            return Some(Err(cut_short(rest.len())));
        };
        let length = u32::from_be_bytes(*prefix) as usize;
        if body.len() < length {
            return Some(Err(cut_short(body.len())));
        }
        let (sketch, after) = body.split_at(length);
        self.rest = after;
        Some(Ok(sketch))
    }
}

fn cut_short(left: usize) -> BadSketch {
    BadSketch(format!("a framed sketch is cut short ({left} bytes left)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sketch` framed: its length, then its bytes (what the report's statement builds in SQL).
    fn frame(sketch: &[u8]) -> Vec<u8> {
        let length = u32::try_from(sketch.len()).expect("a test sketch under 4 GB");
        let mut framed = Vec::with_capacity(PREFIX + sketch.len());
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(sketch);
        framed
    }

    fn split(bytes: &[u8]) -> Result<Vec<&[u8]>, BadSketch> {
        frames(bytes).collect()
    }

    #[test]
    fn framed_sketches_split_back_in_order() {
        let sketches: [&[u8]; 4] = [b"first", b"", &[0, 0, 0, 9, 255], b"last"];
        let joined: Vec<u8> = sketches.iter().flat_map(|s| frame(s)).collect();
        assert_eq!(split(&joined).unwrap(), sketches);
        assert!(split(&[]).unwrap().is_empty());
    }

    #[test]
    fn the_length_is_four_bytes_big_endian() {
        assert_eq!(frame(&[7; 258])[..4], [0, 0, 1, 2]);
    }

    #[test]
    fn a_frame_cut_short_is_refused() {
        let mut joined = frame(b"whole");
        joined.extend_from_slice(&frame(b"cut")[..5]);
        let read: Vec<_> = frames(&joined).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].as_ref().unwrap(), b"whole");
        assert!(read[1].is_err());
        // A length prefix itself cut short.
        assert!(split(&[0, 0]).is_err());
    }
}
