//! The server's WebSocket answers, read in place.
//!
//! A server answers in flatbuffers (the SDK's format). A query's results go
//! to C++ as CBOR (`crate::cbor`), so decoding them into SurrealDB `Value`s
//! only to encode those again would build, and then free, every row's tree
//! for nothing. Here a result is written from the verified flatbuffer
//! straight into that CBOR. The common kinds (null, booleans, numbers,
//! strings, objects, arrays, record ids with a number or string key) are
//! written directly; any other kind is decoded by the SDK's own reader
//! (`Value::from_fb`) and written by `CborWriter`, so that nothing is lost
//! and both paths give the same bytes.

use surrealdb::types::{Object, Value};
pub(super) use surrealdb_protocol::fb::v1 as fb;
use surrealdb_rpc::QueryResult;
use surrealdb_types::{FromFlatbuffers, SurrealValue};

use crate::cbor::{CborWriter, TooDeep};

/// Verifier limits, as the SDK's own decoder sets them
/// (surrealdb-types' `flatbuffers::decode`).
const MAX_VERIFIER_DEPTH: usize = 512;

/// The message in `bytes`, verified; None if it is not a valid value.
pub(super) fn root(bytes: &[u8]) -> Option<fb::Value<'_>> {
    let options = flatbuffers::VerifierOptions {
        max_tables: bytes.len(),
        max_depth: MAX_VERIFIER_DEPTH,
        ..Default::default()
    };
    flatbuffers::root_with_opts::<fb::Value>(&options, bytes).ok()
}

/// The field `key` of an object; None if `value` is not an object or has no
/// such field. Of a key given twice, the last, as the SDK's reader keeps it.
pub(super) fn field<'a>(value: fb::Value<'a>, key: &str) -> Option<fb::Value<'a>> {
    value
        .value_as_object()?
        .items()?
        .iter()
        .filter(|item| item.key() == Some(key))
        .last()?
        .value()
}

/// A value as the SDK decodes it. The SDK's reader panics on a few
/// malformed inputs that pass the verifier (a string value without its
/// string): a server's bad answer is an error here, not a panic in the task
/// that reads the socket.
pub(super) fn decode(value: fb::Value<'_>) -> surrealdb::Result<Value> {
    match std::panic::catch_unwind(|| Value::from_fb(value)) {
        Ok(decoded) => decoded.map_err(undecodable),
        Err(_) => Err(undecodable(anyhow::anyhow!("a malformed value"))),
    }
}

fn undecodable(error: anyhow::Error) -> surrealdb::Error {
    surrealdb::Error::internal(format!(
        "the server's answer could not be decoded: {error:#}"
    ))
}

/// One statement's outcome: its result as CBOR, or its error.
pub type Statement = surrealdb::Result<Vec<u8>>;

/// A query's answer: one outcome per statement, read as the SDK reads
/// them (`QueryResult::from_value`), with each result written as CBOR.
pub(super) fn statements(result: fb::Value<'_>) -> surrealdb::Result<Vec<Statement>> {
    let Some(items) = result.value_as_array().and_then(|array| array.values()) else {
        return Err(super::not_results());
    };
    items.iter().map(statement).collect()
}

fn statement(value: fb::Value<'_>) -> surrealdb::Result<Statement> {
    let status = field(value, "status")
        .and_then(|status| status.value_as_string())
        .and_then(|status| status.value());
    let (Some("OK"), Some(result), Some(items)) = (
        status,
        field(value, "result"),
        value.value_as_object().and_then(|object| object.items()),
    ) else {
        // A failed statement (or something unexpected) as the SDK reads it.
        let outcome = QueryResult::from_value(decode(value)?)?;
        return Ok(outcome
            .result
            .and_then(|value| crate::cbor::encode(&value).map_err(too_deep)));
    };
    // Its other fields (status, time, type) are checked as the SDK checks
    // them, with the result left out.
    let mut fields = Object::new();
    for item in items.iter() {
        match (item.key(), item.value()) {
            (Some("result"), _) => {}
            (Some(key), Some(value)) => {
                fields.insert(key.to_owned(), decode(value)?);
            }
            _ => {
                return Err(undecodable(anyhow::anyhow!(
                    "an object field without a key or value"
                )))
            }
        }
    }
    fields.insert("result".to_owned(), Value::None);
    QueryResult::from_value(Value::Object(fields))?;
    let mut out = Vec::new();
    let written = write(&mut CborWriter::new(&mut out), result);
    Ok(written.map(|()| out))
}

fn too_deep(error: TooDeep) -> surrealdb::Error {
    surrealdb::Error::internal(error.message("the result"))
}

/// Writes one value as CBOR.
pub fn write(out: &mut CborWriter<'_>, value: fb::Value<'_>) -> surrealdb::Result<()> {
    match value.value_type() {
        fb::ValueType::NONE | fb::ValueType::None => out.none().map_err(too_deep)?,
        fb::ValueType::Null => out.null_item(),
        fb::ValueType::Bool => match value.value_as_bool() {
            Some(value) => out.bool_item(value.value()),
            None => return Err(malformed("a boolean")),
        },
        fb::ValueType::Int64 => match value.value_as_int_64() {
            Some(value) => out.int_item(value.value()),
            None => return Err(malformed("an integer")),
        },
        fb::ValueType::Float64 => match value.value_as_float_64() {
            Some(value) => out.float_item(value.value()),
            None => return Err(malformed("a float")),
        },
        fb::ValueType::String => match value.value_as_string().and_then(|text| text.value()) {
            Some(text) => out.text_item(text),
            None => return Err(malformed("a string")),
        },
        fb::ValueType::Array => {
            let Some(items) = value.value_as_array().and_then(|array| array.values()) else {
                return Err(malformed("an array"));
            };
            out.begin_array(items.len()).map_err(too_deep)?;
            for item in items.iter() {
                write(out, item)?;
            }
            out.end_array();
        }
        fb::ValueType::Object => match value.value_as_object().and_then(|object| object.items()) {
            // As the server sends them: keys sorted, each once.
            Some(items) if sorted(&items) => {
                out.begin_map(items.len()).map_err(too_deep)?;
                for item in items.iter() {
                    let (Some(key), Some(value)) = (item.key(), item.value()) else {
                        return Err(malformed("an object"));
                    };
                    out.text_item(key);
                    write(out, value)?;
                }
                out.end_map();
            }
            // Otherwise the SDK's reader orders them (the last of a key wins).
            _ => fallback(out, value)?,
        },
        fb::ValueType::RecordId => {
            let record = value.value_as_record_id();
            let table = record.and_then(|record| record.table());
            let key = record.and_then(|record| record.id());
            match (table, key) {
                (Some(table), Some(key)) if key.id_type() == fb::RecordIdKeyType::Int64 => {
                    let Some(key) = key.id_as_int_64() else {
                        return Err(malformed("a record id"));
                    };
                    out.begin_record_id(table).map_err(too_deep)?;
                    out.int_item(key.value());
                    out.end_record_id();
                }
                (Some(table), Some(key)) if key.id_type() == fb::RecordIdKeyType::String => {
                    let Some(key) = key.id_as_string().and_then(|key| key.value()) else {
                        return Err(malformed("a record id"));
                    };
                    out.begin_record_id(table).map_err(too_deep)?;
                    out.text_item(key);
                    out.end_record_id();
                }
                _ => fallback(out, value)?,
            }
        }
        _ => fallback(out, value)?,
    }
    Ok(())
}

/// Whether an object's keys are sorted by their bytes, each once (as
/// `BTreeMap<String, _>` orders them, and the CBOR encoding requires).
fn sorted(items: &flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<fb::KeyValue<'_>>>) -> bool {
    let mut previous: Option<&str> = None;
    for item in items.iter() {
        let Some(key) = item.key() else {
            return false;
        };
        if previous.is_some_and(|previous| previous >= key) {
            return false;
        }
        previous = Some(key);
    }
    true
}

/// A value written the long way: decoded by the SDK, then encoded.
fn fallback(out: &mut CborWriter<'_>, value: fb::Value<'_>) -> surrealdb::Result<()> {
    out.value(&decode(value)?).map_err(too_deep)
}

fn malformed(what: &str) -> surrealdb::Error {
    surrealdb::Error::internal(format!(
        "the server's answer could not be decoded: {what} without its content"
    ))
}

#[cfg(test)]
mod tests {
    use surrealdb::types::{Array, Number, Object, Value};
    use surrealdb_types::ToFlatbuffers;

    use super::*;
    use crate::cbor::tests::samples;

    /// `value` as the server sends it, then written by the transcoder;
    /// and as the SDK reads what the server sent, then encoded.
    fn both_ways(value: &Value) -> (Vec<u8>, Vec<u8>) {
        let message = surrealdb_types::encode(value).unwrap();
        let mut out = Vec::new();
        write(&mut CborWriter::new(&mut out), root(&message).unwrap())
            .unwrap_or_else(|error| panic!("{value:?}: {error}"));
        (out, sdk_way(&message))
    }

    fn sdk_way(message: &[u8]) -> Vec<u8> {
        let value: Value = surrealdb_types::decode(message).unwrap();
        crate::cbor::encode(&value).unwrap()
    }

    fn every_sample() -> Vec<Value> {
        let mut values = samples();
        // Each kind inside the containers the direct path writes.
        let all = values.clone();
        let fields = all
            .iter()
            .enumerate()
            .map(|(index, value)| (format!("field {index:03}"), value.clone()));
        values.push(Value::Object(Object::from_iter(fields)));
        values.push(Value::Array(Array::from(all)));
        values.push(Value::Number(Number::Float(f64::NAN)));
        values
    }

    #[test]
    fn every_kind_is_written_as_the_sdk_reads_it() {
        for value in every_sample() {
            let (transcoded, sdk) = both_ways(&value);
            assert_eq!(transcoded, sdk, "{value:?}");
        }
        // The wire itself loses one thing: flatbuffers leaves out a float
        // equal to its default, 0.0, so -0.0 arrives as 0.0, both ways.
        let negative_zero = Value::Number(Number::Float(-0.0));
        let positive_zero = crate::cbor::encode(&Value::Number(Number::Float(0.0))).unwrap();
        assert_eq!(
            both_ways(&negative_zero),
            (positive_zero.clone(), positive_zero)
        );
        // Everything else arrives as it was sent.
        let plain = Value::Array(Array::from(vec![
            Value::Number(Number::Float(1.5)),
            Value::String("text".to_owned()),
        ]));
        assert_eq!(both_ways(&plain).0, crate::cbor::encode(&plain).unwrap());
    }

    /// An object with its keys in the order given, which a server does
    /// not send (it sends them sorted, each once).
    fn object_in_order(fields: &[(&str, i64)]) -> Vec<u8> {
        let mut builder = flatbuffers::FlatBufferBuilder::new();
        let items: Vec<_> = fields
            .iter()
            .map(|(key, value)| {
                let key = builder.create_string(key);
                let value = Value::Number(Number::Int(*value))
                    .to_fb(&mut builder)
                    .unwrap();
                fb::KeyValue::create(
                    &mut builder,
                    &fb::KeyValueArgs {
                        key: Some(key),
                        value: Some(value),
                    },
                )
            })
            .collect();
        let items = builder.create_vector(&items);
        let object = fb::Object::create(&mut builder, &fb::ObjectArgs { items: Some(items) });
        let value = fb::Value::create(
            &mut builder,
            &fb::ValueArgs {
                value_type: fb::ValueType::Object,
                value: Some(object.as_union_value()),
            },
        );
        builder.finish(value, None);
        builder.finished_data().to_vec()
    }

    #[test]
    fn keys_out_of_order_or_repeated_are_read_as_the_sdk_reads_them() {
        for fields in [
            &[("b", 1), ("a", 2)][..],
            &[("a", 1), ("a", 2)][..],
            &[("a", 1), ("c", 2), ("b", 3)][..],
        ] {
            let message = object_in_order(fields);
            let value = root(&message).unwrap();
            let mut out = Vec::new();
            write(&mut CborWriter::new(&mut out), value).unwrap();
            let sdk = Value::from_fb(value).unwrap();
            assert_eq!(out, crate::cbor::encode(&sdk).unwrap(), "{fields:?}");
            // Sorted, each key once: what the C++ decoder requires.
            assert!(
                crate::cbor::decode(&out, "the object").is_ok(),
                "{fields:?}"
            );
        }
        // A field looked up by key: the last of a repeated one, as the SDK keeps it.
        let repeated = object_in_order(&[("a", 1), ("a", 2)]);
        let last = field(root(&repeated).unwrap(), "a").and_then(|a| a.value_as_int_64());
        assert_eq!(last.map(|a| a.value()), Some(2));
        let sorted = object_in_order(&[("a", 1), ("b", 2)]);
        let mut out = Vec::new();
        write(&mut CborWriter::new(&mut out), root(&sorted).unwrap()).unwrap();
        assert_eq!(out, [0xa2, 0x61, b'a', 0x01, 0x61, b'b', 0x02]);
    }

    fn statement(status: &str, result: Value) -> Value {
        let mut fields = Object::new();
        fields.insert("status".to_owned(), Value::String(status.to_owned()));
        fields.insert("time".to_owned(), Value::String("1.5ms".to_owned()));
        fields.insert("result".to_owned(), result);
        Value::Object(fields)
    }

    #[test]
    fn a_query_answer_becomes_one_outcome_per_statement() {
        let rows = Value::Array(Array::from(samples()));
        let answer = Value::Array(Array::from(vec![
            statement("OK", rows.clone()),
            statement("ERR", Value::String("There was a problem".to_owned())),
            statement("OK", Value::None),
        ]));
        let message = surrealdb_types::encode(&answer).unwrap();
        let outcomes = statements(root(&message).unwrap()).unwrap();
        assert_eq!(outcomes.len(), 3);
        let rows_message = surrealdb_types::encode(&rows).unwrap();
        assert_eq!(outcomes[0].as_ref().unwrap(), &sdk_way(&rows_message));
        let error = outcomes[1].as_ref().unwrap_err();
        assert!(error.message().contains("There was a problem"), "{error}");
        assert_eq!(outcomes[2].as_ref().unwrap(), &[0xc6, 0xf6]);
    }

    /// Valid answers with bytes changed at random: each is refused by the
    /// verifier, or read (into an error, or a value), never a panic.
    #[test]
    fn corrupted_answers_are_errors_never_panics() {
        let rows = Value::Array(Array::from(every_sample()));
        let answer = Value::Array(Array::from(vec![
            statement("OK", rows.clone()),
            statement("ERR", Value::String("failed".to_owned())),
        ]));
        let messages = [
            surrealdb_types::encode(&rows).unwrap(),
            surrealdb_types::encode(&answer).unwrap(),
        ];
        let mut random = fastrand::Rng::with_seed(7);
        let (mut read, mut refused) = (0, 0);
        for round in 0..4_000 {
            let mut message = messages[round % messages.len()].clone();
            for _ in 0..random.usize(1..4) {
                let at = random.usize(..message.len());
                message[at] = random.u8(..);
            }
            let Some(value) = root(&message) else {
                refused += 1;
                continue;
            };
            read += 1;
            let _ = write(&mut CborWriter::new(&mut Vec::new()), value);
            let _ = statements(value);
            let _ = decode(value);
        }
        // Both paths were taken.
        assert!(
            read > 100 && refused > 100,
            "read {read}, refused {refused}"
        );
    }

    #[test]
    fn a_malformed_query_answer_is_an_error() {
        let not_results = surrealdb_types::encode(&Value::String("no".to_owned())).unwrap();
        assert!(statements(root(&not_results).unwrap()).is_err());
        // A statement without its time is refused, as the SDK refuses it.
        let mut untimed = Object::new();
        untimed.insert("status".to_owned(), Value::String("OK".to_owned()));
        untimed.insert("result".to_owned(), Value::Null);
        let answer = Value::Array(Array::from(vec![Value::Object(untimed)]));
        let message = surrealdb_types::encode(&answer).unwrap();
        assert!(statements(root(&message).unwrap()).is_err());
        assert!(root(b"not a flatbuffer").is_none());
    }
}
