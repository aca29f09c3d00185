//! Side-by-side line diffs between two versions of a text, for the revision screen.

use similar::{ChangeTag, TextDiff};

/// How a row of the diff changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    Removed,
    Added,
    Changed,
}

impl Change {
    /// The CSS modifier for the row.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Same => "same",
            Change::Removed => "removed",
            Change::Added => "added",
            Change::Changed => "changed",
        }
    }
}

/// One row: the old line on the left, the new one on the right (either may be absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub change: Change,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Rows pairing `old` with `new` line by line; runs of removals and additions are paired up as
/// changed lines, the rest shown against a blank.
pub fn side_by_side(old: &str, new: &str) -> Vec<Row> {
    let diff = TextDiff::from_lines(old, new);
    let mut rows = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut added: Vec<String> = Vec::new();
    let flush = |rows: &mut Vec<Row>, removed: &mut Vec<String>, added: &mut Vec<String>| {
        let n = removed.len().max(added.len());
        let (mut r, mut a) = (removed.drain(..), added.drain(..));
        for _ in 0..n {
            let (old, new) = (r.next(), a.next());
            let change = match (&old, &new) {
                (Some(_), Some(_)) => Change::Changed,
                (Some(_), None) => Change::Removed,
                _ => Change::Added,
            };
            rows.push(Row { change, old, new });
        }
    };
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches(['\n', '\r']).to_owned();
        match change.tag() {
            ChangeTag::Delete => removed.push(line),
            ChangeTag::Insert => added.push(line),
            ChangeTag::Equal => {
                flush(&mut rows, &mut removed, &mut added);
                rows.push(Row { change: Change::Same, old: Some(line.clone()), new: Some(line) });
            }
        }
    }
    flush(&mut rows, &mut removed, &mut added);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_changes_and_keeps_context() {
        let rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n");
        let changes: Vec<_> = rows.iter().map(|r| r.change).collect();
        assert_eq!(changes, [Change::Same, Change::Changed, Change::Same, Change::Added]);
        assert_eq!(rows[1].old.as_deref(), Some("b"));
        assert_eq!(rows[1].new.as_deref(), Some("B"));
        assert_eq!(rows[3].old, None);
    }

    #[test]
    fn identical_texts_have_only_same_rows() {
        assert!(side_by_side("x\ny", "x\ny").iter().all(|r| r.change == Change::Same));
    }
}
