//! Times the ways of handing a W6-shaped result (100,000 rows, see
//! /work/shared/BENCH_WORKLOAD.md) to the C side: our CBOR encoder,
//! SurrealDB's own CBOR encoder, the JSON text rendering, and our CBOR
//! decoder. Prints the median of 5 runs of each, per row.
//!
//! Run it in the core profile, which every build of the library uses:
//!   cargo run --locked --profile core --example cbor_timing \
//!     --target-dir ~/.cache/surrealcpp/target

use std::time::{Duration, Instant};

use surrealcpp_core::{cbor, convert};
use surrealdb::types::{Array, Number, Object, RecordId, RecordIdKey, Value};

const ROWS: usize = 100_000;
const RUNS: usize = 5;

/// One row as `SELECT * FROM item` returns it: the W5 payload and a random id.
fn row(i: usize) -> Value {
    let mut tags = Array::new();
    for tag in ["a", "b", "c"] {
        tags.push(Value::String(tag.into()));
    }
    let mut row = Object::new();
    row.insert("age", Value::Number(Number::Int((i % 90) as i64)));
    row.insert(
        "id",
        Value::RecordId(RecordId::new("item", RecordIdKey::rand())),
    );
    row.insert("name", Value::String(format!("user-{i}")));
    row.insert("score", Value::Number(Number::Float(i as f64 * 0.5)));
    row.insert("tags", Value::Array(tags));
    Value::Object(row)
}

/// The median of `RUNS` timings of `run`, in microseconds per row.
fn per_row(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2].as_secs_f64() * 1e6 / ROWS as f64
}

fn main() {
    let mut rows = Array::with_capacity(ROWS);
    for i in 0..ROWS {
        rows.push(row(i));
    }
    let result = Value::Array(rows);

    let mut buffer = Vec::new();
    let ours = per_row(|| {
        buffer.clear();
        cbor::encode_into(&result, &mut buffer).unwrap();
    });
    let cbor_bytes = buffer.len();
    // As surreal_response_cbor does it: a new buffer each time.
    let fresh = per_row(|| assert_eq!(cbor::encode(&result).unwrap().len(), cbor_bytes));

    // SurrealDB's encoder takes the value by value (and drops it as it goes):
    // clone outside the timing.
    let mut clones: Vec<Value> = (0..RUNS).map(|_| result.clone()).collect();
    let mut core_bytes = 0;
    let core = per_row(|| {
        let value = clones.pop().unwrap();
        let encoded = surrealdb_core::rpc::format::cbor::encode(value).unwrap();
        core_bytes = encoded.len();
    });
    assert_eq!(
        core_bytes, cbor_bytes,
        "SurrealDB's encoding has another size"
    );

    let mut json_bytes = 0;
    let json = per_row(|| json_bytes = convert::to_json_text(&result).unwrap().len());

    // Keep the decoded values so that dropping them is not timed.
    let mut decoded = Vec::with_capacity(RUNS);
    let decode = per_row(|| decoded.push(cbor::decode(&buffer, "result").unwrap()));
    assert!(decoded.iter().all(|value| *value == result));

    println!("{ROWS} rows, median of {RUNS} runs, microseconds per row");
    println!("  (a) surrealcpp CBOR encode       {ours:.3} us/row  ({cbor_bytes} bytes)");
    println!("      the same into a new buffer   {fresh:.3} us/row");
    println!("  (b) surrealdb-core CBOR encode   {core:.3} us/row  ({core_bytes} bytes)");
    println!("  (c) JSON text (to_json_text)     {json:.3} us/row  ({json_bytes} bytes)");
    println!("  (d) surrealcpp CBOR decode       {decode:.3} us/row");
}
