//! Brand-level settings and their rules.

/// Which candidate wins when a click and a discount code point to different enrollments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CodePrecedence {
    #[default]
    CodeWins,
    ClickWins,
}

impl CodePrecedence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CodeWins => "CODE_WINS",
            Self::ClickWins => "CLICK_WINS",
        }
    }

    /// Stored values are written by this code; an unknown one falls back to the default.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "CLICK_WINS" => Self::ClickWins,
            _ => Self::CodeWins,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for p in [CodePrecedence::CodeWins, CodePrecedence::ClickWins] {
            assert_eq!(CodePrecedence::from_stored(p.as_str()), p);
        }
        assert_eq!(
            CodePrecedence::from_stored("junk"),
            CodePrecedence::CodeWins
        );
    }
}
