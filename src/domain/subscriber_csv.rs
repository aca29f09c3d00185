//! Subscribers as CSV (RFC 4180, through the `csv` crate): reading an import, with each refused
//! row and why, and writing an export whose cells a spreadsheet cannot run as formulas.

use super::email::Email;
use super::newsletter::{Cadence, csv_cell, says_confirmed};

/// Rows an import may hold (a bigger file is refused whole, before anything is added).
pub const IMPORT_MAX_ROWS: usize = 100_000;

/// One row to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Checked and lowercased, as everywhere ([`Email::parse`]).
    pub email: String,
    pub cadence: Cadence,
    pub confirmed: bool,
}

/// A row not added: its line in the file (1 is the header) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub line: u64,
    pub value: String,
    pub reason: String,
}

/// What a file holds: rows to add, and rows refused.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub refused: Vec<Refused>,
}

/// Reads an import. The first line names the columns: `email` is required; `cadence` (`post`
/// or `digest`; `every post` also reads as `post`) and `confirmed` (`yes`, `true`, `1`) are
/// optional, and other columns are ignored, so an export of Folio, Ghost or Mailchimp can be
/// read. An address twice in the file is refused the second time. `Err` says why the file as
/// a whole cannot be read.
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = reader.headers().map_err(|e| format!("The file is not CSV: {e}"))?.clone();
    let column =
        |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let email_at =
        column(&["email", "email address", "e-mail"]).ok_or("The first line must name an “email” column.")?;
    let cadence_at = column(&["cadence", "receives"]);
    let confirmed_at = column(&["confirmed", "double opt-in"]);
    let mut parsed = Parsed::default();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        if parsed.rows.len() + parsed.refused.len() >= IMPORT_MAX_ROWS {
            return Err(format!("The file has more than {IMPORT_MAX_ROWS} rows: split it."));
        }
        let line = record.as_ref().ok().and_then(|r| r.position()).map_or(i as u64 + 2, |p| p.line());
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                parsed.refused.push(Refused {
                    line,
                    value: String::new(),
                    reason: format!("not readable: {e}"),
                });
                continue;
            }
        };
        let raw = record.get(email_at).unwrap_or("");
        let refuse = |reason: &str| Refused { line, value: raw.to_owned(), reason: reason.to_owned() };
        let email = match Email::parse(raw) {
            Ok(e) => e.into_string(),
            Err(e) => {
                parsed.refused.push(refuse(&e.to_string()));
                continue;
            }
        };
        let cadence =
            match cadence_at.and_then(|at| record.get(at)).unwrap_or("").to_ascii_lowercase().as_str() {
                "" | "post" | "every post" | "each post" => Cadence::EveryPost,
                "digest" => Cadence::Digest,
                _ => {
                    parsed.refused.push(refuse("The cadence must be “post” or “digest”."));
                    continue;
                }
            };
        if !seen.insert(email.clone()) {
            parsed.refused.push(refuse("This address is in the file already, on an earlier line."));
            continue;
        }
        let confirmed = confirmed_at.and_then(|at| record.get(at)).is_some_and(says_confirmed);
        parsed.rows.push(Row { email, cadence, confirmed });
    }
    Ok(parsed)
}

/// The export's columns, in order.
pub const EXPORT_HEADER: [&str; 10] = [
    "email",
    "status",
    "cadence",
    "source",
    "signed_up_at",
    "consent_at",
    "consent_how",
    "consent_addr",
    "unsubscribed_at",
    "bounces",
];

/// Writes `rows` (each the [`EXPORT_HEADER`] cells, in order) as CSV, every cell neutralised
/// ([`csv_cell`]).
pub fn write(rows: impl IntoIterator<Item = [String; 10]>) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(EXPORT_HEADER).map_err(|e| e.to_string())?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| csv_cell(cell).into_owned())).map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_and_bad_ones_refused_with_their_line() {
        let file = "Email,Name,cadence,confirmed\nAnn@Example.org,Ann,digest,yes\nnot-an-address,Bob,,\nann@example.org,Again,,\ncy@example.org,Cy,weekly,\n\"dee@example.org\",\"Dee, D.\",post,no\n";
        let parsed = parse(file.as_bytes()).expect("readable");
        assert_eq!(
            parsed.rows,
            vec![
                Row { email: "ann@example.org".into(), cadence: Cadence::Digest, confirmed: true },
                Row { email: "dee@example.org".into(), cadence: Cadence::EveryPost, confirmed: false },
            ]
        );
        let lines: Vec<u64> = parsed.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(parse(b"name\nAnn\n").is_err(), "no email column");
    }

    #[test]
    fn exports_neutralise_formulas() {
        let mut row: [String; 10] = Default::default();
        row[0] = "ann@example.org".into();
        row[3] = "=HYPERLINK(\"http://evil\")".into();
        row[7] = "-1+2".into();
        let text = String::from_utf8(write([row]).expect("written")).expect("utf-8");
        assert!(text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{text}");
        assert!(text.contains(",'-1+2,"), "{text}");
        assert!(text.starts_with("email,status,cadence"));
    }
}
