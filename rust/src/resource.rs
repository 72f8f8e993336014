//! Turning the resource strings callers pass ("person", "person:tobie",
//! "person:42") into SDK resources, without ever building SurrealQL text.
//!
//! A string without a colon names a table. A string with one is parsed as a
//! record id by SurrealDB's own parser, which must consume all of it, so
//! `person:1; REMOVE TABLE person` is an error rather than a record id with
//! something left over. Either way the SDK binds the result as a variable.

use surrealdb::opt::Resource;
use surrealdb::types::RecordId;

use crate::error::{FfiError, FfiResult};

pub fn parse_record_id(text: &str) -> FfiResult<RecordId> {
    surrealdb_syn::parse_with(text.as_bytes(), async |parser, stk| {
        let id = parser.parse_value_record_id(stk).await?;
        parser.assert_finished()?;
        Ok(id)
    })
    .map_err(|e| FfiError::invalid_argument(format!("'{text}' is not a valid record id: {e}")))
}

pub fn parse_resource(text: &str) -> FfiResult<Resource> {
    if text.is_empty() {
        return Err(FfiError::invalid_argument("the resource is empty"));
    }
    if text.contains(':') {
        parse_record_id(text).map(Resource::from)
    } else {
        Ok(Resource::from(text))
    }
}

#[cfg(test)]
mod tests {
    use surrealdb::types::{RecordIdKey, ToSql};

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
    fn trailing_statements_are_rejected() {
        let error = parse_record_id("person:x; REMOVE TABLE person").unwrap_err();
        assert_eq!(error.code, crate::error::SURREAL_ERR_INVALID_ARGUMENT);
        assert!(parse_resource("").is_err());
    }
}
