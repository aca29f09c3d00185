//! Page numbers from the query string: anything but a positive number within reach is "not found".

/// The highest page number served; beyond it the offset would only scan for nothing.
pub const MAX_PAGE: u32 = 100_000;

/// A 1-based page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(u32);

impl PageNumber {
    pub const FIRST: PageNumber = PageNumber(1);

    /// `None` (absent) means page 1; `Some` must be a plain number from 1 to [`MAX_PAGE`].
    pub fn parse(raw: Option<&str>) -> Option<PageNumber> {
        match raw {
            None => Some(PageNumber::FIRST),
            Some(s) if !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok().filter(|n| (1..=MAX_PAGE).contains(n)).map(PageNumber)
            }
            Some(_) => None,
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Rows to skip for a page of `per_page` rows.
    pub fn offset(self, per_page: u32) -> i64 {
        i64::from(self.0 - 1) * i64::from(per_page)
    }

    pub fn next(self) -> PageNumber {
        PageNumber(self.0 + 1)
    }

    pub fn previous(self) -> Option<PageNumber> {
        (self.0 > 1).then(|| PageNumber(self.0 - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_sane_page_numbers() {
        assert_eq!(PageNumber::parse(None), Some(PageNumber(1)));
        assert_eq!(PageNumber::parse(Some("3")), Some(PageNumber(3)));
        for bad in ["0", "-1", "x", "", "1.5", "+2", "100001", "99999999999999999999"] {
            assert_eq!(PageNumber::parse(Some(bad)), None, "{bad}");
        }
        assert_eq!(PageNumber(3).offset(10), 20);
        assert_eq!(PageNumber(1).previous(), None);
    }
}
