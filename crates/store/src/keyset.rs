//! Keyset pagination of the newest-first lists. A page asked by number (`page`/`size`) is read
//! with `OFFSET` over the list's index, which stays cheap for the first pages but grows with the
//! depth; a page asked by cursor starts strictly after the last row of the previous one, found
//! through the same index, so it costs the same at any depth and any table size.
//!
//! A cursor is that last row's sort key, `at` (a time, a sequence or a ledger transaction id) and
//! `id` (the tiebreak; empty when `at` alone is unique), hex-encoded so that it is opaque and
//! travels in a query string untouched.

/// The sort key of a row of a newest-first list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub at: i64,
    pub id: String,
}

/// Which rows a page holds: `limit` of them, after skipping `offset` (a page number) or after
/// the row with key `after` (a cursor; the offset is then 0).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub limit: i64,
    pub offset: i64,
    pub after: Option<Key>,
}

impl Window {
    pub fn new(limit: i64, offset: i64, after: Option<Key>) -> Window {
        let offset = if after.is_some() { 0 } else { offset };
        Window {
            limit,
            offset,
            after,
        }
    }

    /// The cursor of the page after `rows`, when `rows` filled the page (an empty or short page
    /// is the end).
    pub fn next<T>(&self, rows: &[T], key: impl Fn(&T) -> Key) -> Option<String> {
        if rows.len() as i64 != self.limit || self.limit == 0 {
            return None;
        }
        rows.last().map(|r| key(r).encode())
    }
}

impl Key {
    pub fn new(at: i64, id: impl Into<String>) -> Key {
        Key { at, id: id.into() }
    }

    pub fn encode(&self) -> String {
        format!("{}:{}", self.at, self.id)
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `None` for anything [`Key::encode`] did not make.
    pub fn decode(cursor: &str) -> Option<Key> {
        let s = cursor.trim();
        if s.is_empty() || !s.len().is_multiple_of(2) || s.len() > 512 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect();
        let text = String::from_utf8(bytes?).ok()?;
        let (at, id) = text.split_once(':')?;
        Some(Key {
            at: at.parse().ok()?,
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_key() {
        let k = Key::new(-17, "0190a:b/c");
        assert_eq!(Key::decode(&k.encode()), Some(k));
        assert_eq!(
            Key::decode(&Key::new(5, "").encode()),
            Some(Key::new(5, ""))
        );
        for bad in ["", "zz", "abc", "3a", "41", "2d3a", &"00".repeat(300)] {
            assert_eq!(Key::decode(bad), None, "{bad}");
        }
    }
}
