//! The benchmark workloads of shared/BENCH_WORKLOAD.md, calling the
//! `surrealdb` crate directly: the physical limit for any binding.
//!
//!     bench-rust <mem|rocksdb> [W1,W2,...] [--scale F]
//!
//! Each workload prints `<id> ops_per_s=<f> n=<n> engine=<e>` on stdout and its
//! process's peak resident memory so far as `<id> peak_rss_kb=<n>` on stderr.

use std::time::Instant;

use surrealdb::engine::any::{self, Any};
use surrealdb::types::{Array, Object, RecordId, Value};
use surrealdb::Surreal;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// SplitMix64: the same seeded sequence as the C++ harness, so both select
/// the same ids.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

/// The record payload, typed as SurrealDB stores it (as the C++ harness binds it).
fn payload(i: i64) -> Value {
    let mut row = Object::new();
    row.insert("name", format!("user-{i}"));
    row.insert("age", i % 90);
    row.insert("tags", vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]);
    row.insert("score", i as f64 * 0.5);
    Value::Object(row)
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

struct Sizes {
    w1: i64,
    w2: i64,
    w3: i64,
    w4: i64,
    w5_rows: i64,
    w5_batch: i64,
    w6_rounds: i64,
    w7_each: i64,
}

impl Sizes {
    fn scaled(scale: f64) -> Sizes {
        let s = |n: f64| ((n * scale).round() as i64).max(1);
        Sizes {
            w1: s(20_000.0),
            w2: s(10_000.0),
            w3: s(10_000.0),
            w4: s(2_000.0),
            w5_rows: s(100_000.0),
            w5_batch: s(1_000.0).min(1_000),
            w6_rounds: 5,
            w7_each: s(10_000.0),
        }
    }
}

fn report(id: &str, ops: i64, seconds: f64, engine: &str) {
    println!(
        "{id} ops_per_s={:.1} n={ops} engine={engine}",
        ops as f64 / seconds
    );
    eprintln!("{id} peak_rss_kb={}", peak_rss_kb());
}

async fn select_random(db: &Surreal<Any>, seed: u64, count: i64, ids: i64) -> Result<()> {
    let mut random = SplitMix64(seed);
    for _ in 0..count {
        let id = RecordId::new("person", random.below(ids as u64));
        let record: Option<Value> = db.select(id).await?;
        if record.is_none() {
            return Err("W3: a selected record is missing".into());
        }
    }
    Ok(())
}

async fn run(engine: &str, workloads: &[String], sizes: &Sizes) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let endpoint = match engine {
        "mem" => "mem://".to_owned(),
        "rocksdb" => format!("rocksdb://{}", dir.path().join("db").display()),
        other => return Err(format!("unsupported engine {other}").into()),
    };
    let db = any::connect(endpoint).await?;
    db.use_ns("bench").use_db("bench").await?;
    let wants = |id: &str| workloads.iter().any(|w| w == id);

    if wants("W1") {
        let start = Instant::now();
        for _ in 0..sizes.w1 {
            let mut response = db.query("RETURN 1").await?;
            let _: Value = response.take(0)?;
        }
        report("W1", sizes.w1, start.elapsed().as_secs_f64(), engine);
    }
    if wants("W2") {
        let start = Instant::now();
        for i in 0..sizes.w2 {
            let created: Option<Value> = db
                .create(RecordId::new("person", i))
                .content(payload(i))
                .await?;
            if created.is_none() {
                return Err("W2: create returned nothing".into());
            }
        }
        report("W2", sizes.w2, start.elapsed().as_secs_f64(), engine);
    }
    if wants("W3") {
        let start = Instant::now();
        select_random(&db, 42, sizes.w3, sizes.w2).await?;
        report("W3", sizes.w3, start.elapsed().as_secs_f64(), engine);
    }
    if wants("W4") {
        let start = Instant::now();
        for k in 0..sizes.w4 {
            let mut response = db
                .query("SELECT * FROM person WHERE age > $min LIMIT 10")
                .bind(("min", k % 90))
                .await?;
            let _: Vec<Value> = response.take(0)?;
        }
        report("W4", sizes.w4, start.elapsed().as_secs_f64(), engine);
    }
    if wants("W5") {
        let start = Instant::now();
        let mut inserted = 0;
        while inserted < sizes.w5_rows {
            let batch = sizes.w5_batch.min(sizes.w5_rows - inserted);
            let rows: Array = (inserted..inserted + batch).map(payload).collect();
            let mut response = db
                .query("INSERT INTO item $rows")
                .bind(("rows", rows))
                .await?;
            let created: Vec<Value> = response.take(0)?;
            if created.len() as i64 != batch {
                return Err(format!("W5: batch returned {} rows", created.len()).into());
            }
            inserted += batch;
        }
        report("W5", sizes.w5_rows, start.elapsed().as_secs_f64(), engine);
    }
    if wants("W6") {
        let start = Instant::now();
        let mut total = 0;
        for _ in 0..sizes.w6_rounds {
            let mut response = db.query("SELECT * FROM item").await?;
            let rows: Vec<Value> = response.take(0)?;
            if rows.len() as i64 != sizes.w5_rows {
                return Err(format!("W6: {} rows, expected {}", rows.len(), sizes.w5_rows).into());
            }
            total += rows.len() as i64;
        }
        report("W6", total, start.elapsed().as_secs_f64(), engine);
    }
    if wants("W7") {
        let start = Instant::now();
        let callers: Vec<_> = (1001..=1004)
            .map(|seed| {
                let db = db.clone();
                let (each, ids) = (sizes.w7_each, sizes.w2);
                tokio::spawn(async move {
                    select_random(&db, seed, each, ids)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for caller in callers {
            caller.await??;
        }
        report(
            "W7",
            4 * sizes.w7_each,
            start.elapsed().as_secs_f64(),
            engine,
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let engine = args.next().unwrap_or_else(|| "mem".to_owned());
    let mut workloads: Option<Vec<String>> = None;
    let mut scale = 1.0;
    while let Some(arg) = args.next() {
        if arg == "--scale" {
            scale = args.next().ok_or("--scale needs a value")?.parse()?;
        } else {
            workloads = Some(arg.split(',').map(str::to_owned).collect());
        }
    }
    let workloads = workloads.unwrap_or_else(|| {
        let set: &[&str] = if engine == "mem" {
            &["W1", "W2", "W3", "W4", "W5", "W6", "W7"]
        } else {
            &["W2", "W5"]
        };
        set.iter().map(|w| (*w).to_owned()).collect()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&engine, &workloads, &Sizes::scaled(scale)))
}
