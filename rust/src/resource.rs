//! Turning the resource strings callers pass ("person", "person:tobie",
//! "person:42") into SDK resources, without ever building SurrealQL text;
//! and SurrealQL literal values parsed by SurrealDB's parser ([`parse_value`]).
//!
//! A string without a colon names a table. A string with one is parsed as a
//! record id by SurrealDB's own parser, which must consume all of it, so
//! `person:1; REMOVE TABLE person` is an error rather than a record id with
//! something left over. Either way the SDK binds the result as a variable.
//!
//! A resource passed as a CBOR value ([`from_value`]) is text (read as
//! above), a table, or a record id; a record id whose key is a range selects
//! that range of the table.

use surrealdb::opt::{QueryRange, Resource};
use surrealdb::types::{RecordId, RecordIdKey, Value};
use surrealdb_syn::ParserSettings;

use crate::error::{FfiError, FfiResult};

pub fn parse_record_id(text: &str) -> FfiResult<RecordId> {
    surrealdb_syn::parse_with(text.as_bytes(), async |parser, stk| {
        let id = parser.parse_value_record_id(stk).await?;
        parser.assert_finished()?;
        Ok(id)
    })
    .map_err(|e| FfiError::invalid_argument(format!("'{text}' is not a valid record id: {e}")))
}

/// The resource a record id names: one record, or for a key range, that
/// range of the table.
pub fn record_resource(id: RecordId) -> Resource {
    match id.key {
        RecordIdKey::Range(range) => Resource::Range(QueryRange {
            table: id.table,
            range: *range,
        }),
        key => Resource::RecordId(RecordId {
            table: id.table,
            key,
        }),
    }
}

/// A resource given as a value: text as [`parse_resource`] reads it, a
/// table, or a record id (see [`record_resource`]).
pub fn from_value(value: Value) -> FfiResult<Resource> {
    match value {
        Value::String(text) => parse_resource(&text),
        Value::Table(table) => Ok(Resource::Table(table)),
        Value::RecordId(id) => Ok(record_resource(id)),
        _ => Err(FfiError::invalid_argument(
            "resource must be text, a table (tag 7) or a record id (tag 8)",
        )),
    }
}

/// Parses a SurrealQL literal value (`{ a: 1dec, b: d'2024-01-01T00:00:00Z' }`)
/// with SurrealDB's own value parser, which must consume all of the text.
/// File literals (`f"bucket:/key"`) are accepted, as `ToSql` writes them.
pub fn parse_value(text: &str) -> FfiResult<Value> {
    let settings = ParserSettings {
        files_enabled: true,
        ..ParserSettings::default()
    };
    surrealdb_syn::parse_with_settings(text.as_bytes(), settings, async |parser, stk| {
        let value = parser.parse_value(stk).await?;
        parser.assert_finished()?;
        Ok(value)
    })
    .map_err(|e| FfiError::invalid_argument(format!("not a valid SurrealQL value: {e}")))
}

pub fn parse_resource(text: &str) -> FfiResult<Resource> {
    if text.is_empty() {
        return Err(FfiError::invalid_argument("the resource is empty"));
    }
    if text.contains(':') {
        parse_record_id(text).map(record_resource)
    } else {
        Ok(Resource::from(text))
    }
}

#[cfg(test)]
mod tests {
    use surrealdb::types::{RecordIdKey, RecordIdKeyRange, ToSql};

    use super::*;

    #[test]
    fn numeric_and_string_keys() {
        assert_eq!(
            parse_record_id("person:42").unwrap().key,
            RecordIdKey::Number(42)
        );
        let id = parse_record_id("person:tobie").unwrap();
        assert_eq!(id.key, RecordIdKey::String("tobie".into()));
        assert_eq!(id.to_sql(), "person:tobie");
    }

    #[test]
    fn rendered_ids_parse_back() {
        for text in ["person:`1`", "person:`a-b`", "person:42", "person:tobie"] {
            assert_eq!(parse_record_id(text).unwrap().to_sql(), text);
        }
    }

    #[test]
    fn key_ranges_select_a_range_of_the_table() {
        let range = RecordIdKeyRange {
            start: std::ops::Bound::Included(RecordIdKey::Number(1)),
            end: std::ops::Bound::Unbounded,
        };
        let id = RecordId::new("person", RecordIdKey::Range(Box::new(range.clone())));
        let Resource::Range(selected) = from_value(Value::RecordId(id)).unwrap() else {
            panic!("a key range is a range resource");
        };
        assert_eq!(selected.table.as_str(), "person");
        assert_eq!(selected.range, range);
        assert_eq!(
            from_value(Value::Table("a:b".into())).unwrap(),
            Resource::Table("a:b".into())
        );
        assert_eq!(
            from_value(Value::String("a:b".into())).unwrap(),
            Resource::RecordId(RecordId::new("a", "b"))
        );
        assert!(from_value(Value::Bool(true)).is_err());
    }

    #[test]
    fn trailing_statements_are_rejected() {
        let error = parse_record_id("person:x; REMOVE TABLE person").unwrap_err();
        assert_eq!(error.code, crate::error::SURREAL_ERR_INVALID_ARGUMENT);
        assert!(parse_resource("").is_err());
    }
}
