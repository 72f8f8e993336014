//! Live queries started again on a new connection: the part the WebSocket
//! driver (`driver.rs`) and the gRPC one (`grpc.rs`) share. Each sends the
//! `query` call its own way (and gRPC then subscribes to the new id).

use std::collections::HashMap;

use surrealdb::types::Value;
use surrealdb_rpc::DbResult;
use uuid::Uuid;

use super::driver::{end_live, started_live};
use super::Shared;

/// A live query to start again: the key its subscribers know it by, its
/// session, and the parameters of the `query` call that starts it.
pub(super) struct Restart {
    pub key: Uuid,
    pub session: Uuid,
    pub params: Vec<Value>,
}

/// The live queries a new connection starts again. The others end here,
/// and their subscribers are told why: SurrealQL that holds more than the
/// LIVE statement (which would run again), or a session that did not come
/// back, because the server refused to attach it (`unattached`, by session)
/// or its authentication could not be restored.
pub(super) fn restarts(
    shared: &Shared,
    unattached: &HashMap<Uuid, surrealdb::Error>,
) -> Vec<Restart> {
    let lives: Vec<(Restart, bool)> = shared
        .lives()
        .records
        .iter()
        .map(|(key, record)| {
            let params = vec![
                Value::String(record.sql.clone()),
                record.bindings.clone().unwrap_or(Value::None),
            ];
            let restart = Restart {
                key: *key,
                session: record.session,
                params,
            };
            (restart, record.restartable)
        })
        .collect();
    let mut restarts = Vec::with_capacity(lives.len());
    for (restart, restartable) in lives {
        let lost = unattached
            .get(&restart.session)
            .cloned()
            .or_else(|| session_lost(shared, restart.session));
        let refusal = if !restartable {
            Some(
                "the live query ended when its connection was lost: its SurrealQL holds more \
                 than the LIVE statement, which would run again"
                    .to_owned(),
            )
        } else {
            lost.map(|error| {
                format!(
                    "the live query ended when its connection was lost: its session could not \
                     be restored ({})",
                    error.message()
                )
            })
        };
        match refusal {
            Some(message) => end_live(shared, restart.key, message),
            None => restarts.push(restart),
        }
    }
    restarts
}

/// The new id of a live query started again, from its `query` call's
/// outcome, or why it did not start.
pub(super) fn restarted(outcome: surrealdb::Result<DbResult>) -> Result<Uuid, String> {
    match outcome {
        Ok(DbResult::Query(results)) => {
            started_live(&results).ok_or_else(|| match first_error(&results) {
                Some(error) => format!(
                    "the live query could not be started again after a reconnect: {}",
                    error.message()
                ),
                None => "the live query could not be started again after a reconnect".to_owned(),
            })
        }
        Ok(_) => Err("the server's answer started no live query".to_owned()),
        Err(error) => Err(format!(
            "the live query could not be started again after a reconnect: {}",
            error.message()
        )),
    }
}

fn first_error(results: &[surrealdb_rpc::QueryResult]) -> Option<&surrealdb::Error> {
    results
        .iter()
        .find_map(|result| result.result.as_ref().err())
}

/// Routes the notifications of a live query started again, which now come
/// with `server_id`, to the subscribers of `key`.
pub(super) fn reroute(shared: &Shared, key: Uuid, server_id: Uuid) {
    let mut lives = shared.lives();
    if let Some(record) = lives.records.get_mut(&key) {
        let old = std::mem::replace(&mut record.server_id, server_id);
        lives.routes.remove(&old);
        lives.routes.insert(server_id, key);
    }
}

/// Why a session's authentication could not be restored, if it could not.
fn session_lost(shared: &Shared, session: Uuid) -> Option<surrealdb::Error> {
    let record = shared.sessions().get(&session).cloned();
    record.and_then(|record| record.lost())
}

#[cfg(test)]
mod tests {
    use std::ffi::c_void;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::live::{LiveHub, Sink};
    use crate::rpc::{Heartbeat, LiveRecord, ReconnectPolicy};

    /// What a test subscriber was sent: each notification's bytes, and an
    /// empty entry for its end.
    type Received = Mutex<Vec<Vec<u8>>>;

    unsafe extern "C" fn collect(context: *mut c_void, bytes: *const u8, len: usize) {
        let received = &*(context as *const Received);
        let bytes = if bytes.is_null() {
            Vec::new()
        } else {
            std::slice::from_raw_parts(bytes, len).to_vec()
        };
        received.lock().unwrap().push(bytes);
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    }

    #[test]
    fn only_the_live_queries_of_sessions_that_came_back_are_started_again() {
        let hub = Arc::new(LiveHub::default());
        let shared = Shared::new(
            "ws://127.0.0.1:1",
            ReconnectPolicy::default(),
            Heartbeat::default(),
            Arc::clone(&hub),
        );
        let (kept, refused) = (Uuid::new_v4(), Uuid::new_v4());
        let received: Vec<Arc<Received>> = (0..3).map(|_| Arc::default()).collect();
        // One live query on the session that came back, one on the session
        // the server refused to attach, and one whose SurrealQL holds more
        // than the LIVE statement.
        let lives = [(kept, true), (refused, true), (kept, false)];
        let mut keys = Vec::new();
        for ((session, restartable), received) in lives.into_iter().zip(&received) {
            let key = Uuid::new_v4();
            let context = Arc::as_ptr(received) as *mut c_void;
            hub.subscribe(key, 0, Sink::new(Some(collect), context).unwrap());
            let record = LiveRecord {
                session,
                sql: "LIVE SELECT * FROM person".to_owned(),
                bindings: None,
                server_id: key,
                restartable,
                subscribers: vec![key],
            };
            let mut lives = shared.lives();
            lives.records.insert(key, record);
            lives.routes.insert(key, key);
            keys.push(key);
        }
        let unattached = HashMap::from([(
            refused,
            surrealdb::Error::internal("the session already exists".to_owned()),
        )]);

        let restarts = restarts(&shared, &unattached);

        assert_eq!(restarts.len(), 1);
        assert_eq!(restarts[0].key, keys[0]);
        assert_eq!(restarts[0].session, kept);
        let lives = shared.lives();
        assert!(lives.records.contains_key(&keys[0]));
        assert!(!lives.records.contains_key(&keys[1]));
        assert!(!lives.records.contains_key(&keys[2]));
        drop(lives);
        assert!(received[0].lock().unwrap().is_empty());
        for (received, why) in received[1..].iter().zip([
            "could not be restored (the session already exists)",
            "more than the LIVE",
        ]) {
            let received = received.lock().unwrap();
            // The error, the KILLED notification, and the end.
            assert_eq!(received.len(), 3, "{why}");
            assert!(contains(&received[0], why), "{why}");
            assert!(received[2].is_empty(), "{why}");
        }
    }
}
