//! Records in and out of the log's `jsonb` column as the JSON text they are encoded as, with no
//! `serde_json::Value` in between: a `Value` cost every append a parse and a serialisation,
//! and every read a parse and a serialisation before the record's own decoding.

use bytes::{BufMut, BytesMut};
use postgres_types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

/// The version byte that starts `jsonb` in Postgres's binary format, before the JSON text.
const JSONB_VERSION: u8 = 1;

/// JSON text, bound as or read from a `jsonb` (or `json`) value. Postgres parses it on the way
/// in (text that is not JSON fails the statement) and sends it back as text.
#[derive(Debug, Clone, Copy)]
pub(super) struct JsonText<'a>(pub &'a [u8]);

impl ToSql for JsonText<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(JSONB_VERSION);
        }
        out.put_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::JSONB)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for JsonText<'a> {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        if *ty != Type::JSONB {
            return Ok(Self(raw));
        }
        match raw.split_first() {
            Some((&JSONB_VERSION, text)) => Ok(Self(text)),
            _ => Err("a jsonb value in an unknown format".into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::JSONB)
    }
}

/// The `commandId` of an encoded record, read without building the rest of it.
pub(super) fn command_id(record: &[u8]) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(rename = "commandId", borrow)]
        command_id: std::borrow::Cow<'a, str>,
    }
    match serde_json::from_slice::<Head>(record) {
        Ok(head) => Ok(head.command_id.into_owned()),
        Err(error) if error.is_data() => Err("a record without commandId".to_owned()),
        Err(error) => Err(format!("a record is not JSON: {error}")),
    }
}
