//! Form bodies with a size limit of their own. Rocket's `Form` takes one limit for all forms;
//! Folio's [`Form`] takes the limit its fields need, so the editor can take a 1,000,000-character
//! body while sign-in takes 64 KiB, and only the media upload takes multipart at all.

use std::ops::Deref;

use rocket::data::{self, ByteUnit, Data, FromData};
use rocket::form::{Errors, FromForm, ValueField};
use rocket::http::Status;
use rocket::request::Request;

/// The size limit of an ordinary form's body, in bytes. The largest such form, the settings with
/// their navigation rows, stays well under 16 KiB even URL-encoded.
pub const FORM_LIMIT: u64 = 64 * 1024;

/// The body of a URL-encoded form holding a text field of `chars` characters and `rest` bytes
/// of other fields: UTF-8 takes up to 4 bytes a character and URL-encoding triples each byte
/// (`%E2`), so 12 bytes a character.
pub const fn limit_for(chars: usize, rest: u64) -> u64 {
    chars as u64 * 12 + rest
}

/// A URL-encoded form read whole, up to `LIMIT` bytes.
///
/// - A larger body answers 413, before anything is parsed.
/// - A body of any other type answers 415: Folio's forms are all URL-encoded; the media upload,
///   the one multipart form, reads its body itself.
/// - A NUL in any field answers 400: no database column accepts it (PostgreSQL's `text` cannot
///   store it), and no field of Folio's means it.
///
/// Otherwise it parses as Rocket's `Form` does, with the same error statuses.
#[derive(Debug)]
pub struct Form<T, const LIMIT: u64 = FORM_LIMIT>(T);

impl<T, const LIMIT: u64> Form<T, LIMIT> {
    /// The parsed form.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T, const LIMIT: u64> Deref for Form<T, LIMIT> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The decoded fields, kept for the request's lifetime so parsed values may borrow from them.
struct Fields(Vec<(String, String)>);

/// Decodes a URL-encoded body as browsers write it (WHATWG URL, section 5.1: `+` is a space,
/// invalid UTF-8 becomes U+FFFD, as Rocket's own `Form` does).
fn decode(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r>, const LIMIT: u64> FromData<'r> for Form<T, LIMIT> {
    type Error = Errors<'r>;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if !req.content_type().is_some_and(|t| t.is_form()) {
            return data::Outcome::Error((Status::UnsupportedMediaType, Errors::new()));
        }
        let read = match data.open(ByteUnit::from(LIMIT)).into_string().await {
            Ok(read) => read,
            Err(e) => return data::Outcome::Error((Status::BadRequest, e.into())),
        };
        if !read.is_complete() {
            return data::Outcome::Error((Status::PayloadTooLarge, Errors::new()));
        }
        let fields = decode(&read.into_inner());
        if fields.iter().any(|(name, value)| name.contains('\0') || value.contains('\0')) {
            return data::Outcome::Error((Status::BadRequest, Errors::new()));
        }
        let fields: &'r [(String, String)] = &req.local_cache(|| Fields(fields)).0;
        let values = fields.iter().map(|(name, value)| ValueField::from((name.as_str(), value.as_str())));
        match rocket::form::Form::<T>::parse_iter(values) {
            Ok(value) => data::Outcome::Success(Form(value)),
            Err(errors) => data::Outcome::Error((errors.status(), errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_as_browsers_encode_them() {
        let fields = decode("_csrf=t&email=a%40b.c&name=Ad%C3%A1+L&bad=%FF&q=a%00b&&empty=");
        let expected = [
            ("_csrf", "t"),
            ("email", "a@b.c"),
            ("name", "Adá L"),
            ("bad", "\u{fffd}"),
            ("q", "a\0b"),
            ("empty", ""),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(fields, expected);
    }

    #[test]
    fn limits_allow_for_the_worst_encoding() {
        // "😀" is 4 bytes of UTF-8 and 12 characters URL-encoded.
        let encoded = url::form_urlencoded::byte_serialize("😀".as_bytes()).collect::<String>();
        assert_eq!(encoded.len() as u64, limit_for(1, 0));
    }
}
