//! JSON in, JSON out: documents cross the C boundary as JSON text.
//!
//! Incoming text is parsed with serde_json and turned into a SurrealDB value
//! by the SDK's own conversion. Outgoing values are written straight to text
//! by [`JsonValue`], which renders exactly what the SDK's `into_json_value`
//! renders without building an intermediate `serde_json::Value` tree first.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use surrealdb::types::{Number, SurrealValue, ToSql, Value};

use crate::error::{FfiError, FfiResult};

fn parse_serde_json(text: &str, what: &str) -> FfiResult<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|e| FfiError::invalid_argument(format!("{what} is not valid JSON: {e}")))
}

/// Parses JSON text into a SurrealDB value. `what` names the argument.
pub fn parse_json(text: &str, what: &str) -> FfiResult<Value> {
    Ok(parse_serde_json(text, what)?.into_value())
}

/// Parses JSON text that must be an object (a document, or query variables).
pub fn parse_json_object(text: &str, what: &str) -> FfiResult<Value> {
    let json = parse_serde_json(text, what)?;
    if !json.is_object() {
        return Err(FfiError::invalid_argument(format!(
            "{what} must be a JSON object"
        )));
    }
    Ok(json.into_value())
}

/// Serialises a SurrealDB value as plain JSON: record ids, datetimes, uuids
/// and decimals become strings, NONE becomes null.
pub struct JsonValue<'a>(pub &'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::None | Value::Null => serializer.serialize_unit(),
            Value::Bool(value) => serializer.serialize_bool(*value),
            Value::Number(Number::Int(value)) => serializer.serialize_i64(*value),
            Value::Number(Number::Float(value)) if value.is_finite() => {
                serializer.serialize_f64(*value)
            }
            Value::Number(Number::Float(_)) => serializer.serialize_unit(),
            Value::String(text) => serializer.serialize_str(text),
            Value::RecordId(id) => serializer.serialize_str(&id.to_sql()),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(&JsonValue(item))?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields.iter() {
                    map.serialize_entry(key, &JsonValue(value))?;
                }
                map.end()
            }
            // Decimals, datetimes, durations, uuids, geometries, bytes and the
            // rest are rare in bulk results: let the SDK render them.
            other => other.clone().into_json_value().serialize(serializer),
        }
    }
}

/// Renders a value as JSON text.
pub fn to_json_text(value: &Value) -> FfiResult<String> {
    serde_json::to_string(&JsonValue(value))
        .map_err(|e| FfiError::internal(format!("cannot render the result as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        to_json_text(&parse_json(text, "data").unwrap()).unwrap()
    }

    #[test]
    fn plain_json_survives_a_round_trip() {
        assert_eq!(
            round_trip(r#"{"a":1,"b":[true,null,"x"],"c":{"d":2.5}}"#),
            r#"{"a":1,"b":[true,null,"x"],"c":{"d":2.5}}"#
        );
    }

    #[test]
    fn matches_the_sdk_rendering() {
        let value = parse_json(r#"{"n":-3,"f":0.25,"s":"t","l":[1,{"k":null}]}"#, "x").unwrap();
        let ours: serde_json::Value = serde_json::from_str(&to_json_text(&value).unwrap()).unwrap();
        assert_eq!(ours, value.into_json_value());
    }

    #[test]
    fn record_ids_render_as_table_colon_key() {
        let id = surrealdb::types::RecordId::new("person", 7);
        assert_eq!(to_json_text(&Value::RecordId(id)).unwrap(), r#""person:7""#);
    }

    #[test]
    fn bad_json_is_an_invalid_argument() {
        let error = parse_json("{", "data").unwrap_err();
        assert_eq!(error.code, crate::error::SURREAL_ERR_INVALID_ARGUMENT);
        assert!(error.message.starts_with("data is not valid JSON"));
        let error = parse_json_object("[1]", "data").unwrap_err();
        assert!(
            error.message.contains("must be a JSON object"),
            "{}",
            error.message
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse_json(&text, "data").is_err());
    }
}

/// The kind of a value, as SurrealDB names it in its type errors (`string`,
/// `record<person>`...), for error messages.
pub fn kind_name(value: &Value) -> String {
    value.kind().to_sql()
}
