//! The benchmark workloads of shared/BENCH_WORKLOAD.md (v3), calling the
//! `surrealdb` crate directly: the physical limit for any binding.
//!
//!     bench-rust <mem|rocksdb|surrealkv> [W1,W2,...] [--scale F]
//!     bench-rust <ws|grpc>://HOST:PORT [R1,R3,R6,R7] [--scale F]
//!
//! Given a server's URL, it runs the remote workloads through the SDK's
//! WebSocket or gRPC engine: R1, R3, R6 and R7 are W1, W3, W6 and W7 against
//! the server, signed in as its root user (SURREAL_USER and SURREAL_PASS,
//! root/root by default), in an emptied database `bench` of namespace
//! `bench`; R3/R7's `person` records are created as W2 does and R6's `item`
//! rows as W5 does, untimed and unreported.
//!
//! Each workload prints `<id> ops_per_s=<f> n=<n> engine=<e>` on stdout (W9
//! adds ` p50_us=<f> p99_us=<f>`) and its process's peak resident memory so
//! far as `<id> peak_rss_kb=<n>` on stderr. Every workload checks its results
//! and the process fails on the first wrong one.
//!
//! Choices the spec leaves open, the same in bench-cpp:
//!   * W8: each transaction is begun (`Surreal::begin`), takes its 10 creates
//!     one at a time (each awaited before the next), and is committed;
//!     afterwards, untimed, the number of `txn` records must be 10 per
//!     transaction.
//!   * W9: `DEFINE TABLE feed` first, untimed (SurrealDB 3 starts no live
//!     query on a table that does not exist). The listener is the binding's
//!     push path, started before the writer: here a spawned task awaiting the
//!     live `Stream`, in bench-cpp LiveQuery::listen()'s callback. The writer
//!     records, per record id, the time just before it sends that create; the
//!     listener records, per record id, the time its notification is
//!     delivered to it (the payload stays the spec's). Each notification must
//!     be a create of `feed:<i>` (the SDK's notification carries the record id
//!     only in its data's `id`), i in [0, n), not seen before, with name
//!     "user-<i>"; all n must arrive (at most 60 s after the last create).
//!     Rate: n over the time from the first send to the last delivery.
//!     Latency: delivery minus send per record, in µs; p50/p99 by nearest
//!     rank (the ceil(q*n/100)-th smallest).

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use surrealdb::engine::any::{self, Any};
use surrealdb::types::{Action, Array, Object, RecordId, RecordIdKey, Value};
use surrealdb::{Notification, Surreal};

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
    w8_txns: i64,
    w9: i64,
}

/// Records per W8 transaction (not scaled).
const W8_EACH: i64 = 10;

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
            w8_txns: s(1_000.0),
            w9: s(10_000.0),
        }
    }
}

fn report(id: &str, ops: i64, seconds: f64, engine: &str) {
    report_with(id, ops, seconds, engine, "");
}

/// `extra` goes at the end of the stdout line (W9's latencies).
fn report_with(id: &str, ops: i64, seconds: f64, engine: &str, extra: &str) {
    println!(
        "{id} ops_per_s={:.1} n={ops} engine={engine}{extra}",
        ops as f64 / seconds
    );
    eprintln!("{id} peak_rss_kb={}", peak_rss_kb());
}

/// The q-th percentile of ascending `sorted` by nearest rank: the
/// ceil(q*n/100)-th smallest, in integers (bench-cpp the same).
fn percentile(sorted: &[f64], q: usize) -> f64 {
    let rank = (q * sorted.len()).div_ceil(100);
    sorted[rank.max(1) - 1]
}

/// W9's listener: takes `n` notifications from `stream`, checks each, and
/// answers when each record's was delivered, by record key.
async fn listen(
    mut stream: surrealdb::Stream<Vec<Value>>,
    n: i64,
) -> std::result::Result<Vec<Instant>, String> {
    let mut delivered: Vec<Option<Instant>> = vec![None; n as usize];
    let mut received = 0;
    while received < n {
        let notification: Notification<Value> = stream
            .next()
            .await
            .ok_or("W9: the live query ended early")?
            .map_err(|e| format!("W9: the live query failed: {e}"))?;
        let at = Instant::now();
        let id = notification.data.get("id");
        let key = match id {
            Value::RecordId(RecordId {
                table,
                key: RecordIdKey::Number(key),
            }) if table.as_str() == "feed" && (0..n).contains(key) => Some(*key),
            _ => None,
        };
        let name = notification.data.get("name");
        match key {
            Some(key)
                if notification.action == Action::Create
                    && delivered[key as usize].is_none()
                    && *name == Value::String(format!("user-{key}")) =>
            {
                delivered[key as usize] = Some(at);
                received += 1;
            }
            _ => return Err(format!("W9: unexpected notification for {id:?}")),
        }
    }
    // All n keys were seen once each (checked above): every one is set.
    Ok(delivered.into_iter().flatten().collect())
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

/// The remote workloads (v3): each is the W workload of the same number,
/// run against a server.
const REMOTE: [(&str, &str); 4] = [("R1", "W1"), ("R3", "W3"), ("R6", "W6"), ("R7", "W7")];

/// The scheme of a server's URL (`ws`, `grpc`), or None for an engine name.
fn remote_scheme(engine: &str) -> Option<&str> {
    engine.split_once("://").map(|(scheme, _)| scheme)
}

/// Opens a server's emptied `bench` database, signed in as its root user.
async fn connect_server(url: &str) -> Result<Surreal<Any>> {
    let db = any::connect(url).await?;
    db.signin(surrealdb::opt::auth::Root {
        username: std::env::var("SURREAL_USER").unwrap_or_else(|_| "root".to_owned()),
        password: std::env::var("SURREAL_PASS").unwrap_or_else(|_| "root".to_owned()),
    })
    .await?;
    // A server keeps its data between runs: each starts from an empty
    // database, as an embedded one does.
    db.query(
        "DEFINE NAMESPACE IF NOT EXISTS bench; USE NS bench; \
         REMOVE DATABASE IF EXISTS bench; DEFINE DATABASE bench;",
    )
    .await?
    .check()?;
    Ok(db)
}

async fn run(engine: &str, dir: &Path, workloads: &[String], sizes: &Sizes) -> Result<()> {
    let db = match (engine, remote_scheme(engine)) {
        (url, Some(_)) => connect_server(url).await?,
        ("mem", None) => any::connect("mem://").await?,
        ("rocksdb" | "surrealkv", None) => {
            any::connect(format!("{engine}://{}", dir.join("db").display())).await?
        }
        (other, None) => return Err(format!("unsupported engine {other}").into()),
    };
    db.use_ns("bench").use_db("bench").await?;
    // A server's run also runs, untimed, the workloads that make its rows.
    let remote = remote_scheme(engine).is_some();
    let reported = |id: &str| workloads.iter().any(|w| w == id);
    let wants = |id: &str| {
        reported(id)
            || (remote && id == "W2" && (reported("W3") || reported("W7")))
            || (remote && id == "W5" && reported("W6"))
    };
    let engine = remote_scheme(engine).unwrap_or(engine);
    let report = |id: &str, ops: i64, seconds: f64, engine: &str| {
        if !reported(id) {
            return;
        }
        let name = match REMOTE.iter().find(|(_, w)| *w == id) {
            Some((r, _)) if remote => *r,
            _ => id,
        };
        report(name, ops, seconds, engine);
    };

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
    if wants("W8") {
        let start = Instant::now();
        for k in 0..sizes.w8_txns {
            let tx = db.clone().begin().await?;
            for j in 0..W8_EACH {
                let i = k * W8_EACH + j;
                let created: Option<Value> = tx
                    .create(RecordId::new("txn", i))
                    .content(payload(i))
                    .await?;
                if created.is_none() {
                    return Err("W8: create returned nothing".into());
                }
            }
            tx.commit().await?;
        }
        let seconds = start.elapsed().as_secs_f64();
        let mut response = db.query("RETURN count(SELECT id FROM txn)").await?;
        let count: Option<i64> = response.take(0)?;
        if count != Some(sizes.w8_txns * W8_EACH) {
            return Err(format!(
                "W8: {count:?} records committed, expected {}",
                sizes.w8_txns * W8_EACH
            )
            .into());
        }
        report("W8", sizes.w8_txns, seconds, engine);
    }
    if wants("W9") {
        let n = sizes.w9;
        db.query("DEFINE TABLE feed").await?.check()?;
        let stream: surrealdb::Stream<Vec<Value>> = db.select("feed").live().await?;
        let listener = tokio::spawn(listen(stream, n));
        // The writer: each create's send time by record key, taken just before it is sent.
        let mut sent = Vec::with_capacity(n as usize);
        let start = Instant::now();
        for i in 0..n {
            sent.push(Instant::now());
            let created: Option<Value> = db
                .create(RecordId::new("feed", i))
                .content(payload(i))
                .await?;
            if created.is_none() {
                return Err("W9: create returned nothing".into());
            }
        }
        // The listener's task owns the stream: its end drops it, which kills
        // the live query.
        let delivered = tokio::time::timeout(Duration::from_secs(60), listener)
            .await
            .map_err(|_| "W9: not every notification arrived")???;
        let mut latencies: Vec<f64> = sent
            .iter()
            .zip(&delivered)
            .map(|(sent, delivered)| (*delivered - *sent).as_secs_f64() * 1e6)
            .collect();
        latencies.sort_by(f64::total_cmp);
        let last = delivered.iter().max().copied().unwrap_or(start);
        report_with(
            "W9",
            n,
            (last - start).as_secs_f64(),
            engine,
            &format!(
                " p50_us={:.1} p99_us={:.1}",
                percentile(&latencies, 50),
                percentile(&latencies, 99)
            ),
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
    let remote = remote_scheme(&engine).is_some();
    let workloads = workloads.unwrap_or_else(|| {
        let set: &[&str] = if remote {
            &["R1", "R3", "R6", "R7"]
        } else if engine == "mem" {
            &["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"]
        } else {
            &["W2", "W5", "W8"]
        };
        set.iter().map(|w| (*w).to_owned()).collect()
    });
    const KNOWN: [&str; 9] = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"];
    // A server's run takes the R names; internally each is its W workload.
    let workloads = workloads
        .into_iter()
        .map(|id| match REMOTE.iter().find(|(r, _)| *r == id) {
            Some((_, w)) if remote => Ok((*w).to_owned()),
            _ if !remote && KNOWN.contains(&id.as_str()) => Ok(id),
            _ => Err(format!("unknown workload {id} for {engine}")),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let outcome = runtime.block_on(run(&engine, dir.path(), &workloads, &Sizes::scaled(scale)));
    // The SDK shuts an embedded datastore down in a task of its own once the
    // last handle is dropped, and has no call to wait for that: wait for the
    // runtime's tasks to end, so that the persistent engines have written
    // their last before `dir` is removed (else RocksDB's final flush can
    // leave it behind).
    let deadline = Instant::now() + Duration::from_secs(30);
    while runtime.metrics().num_alive_tasks() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    outcome
}
